package redisconn

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrInvalidURL is wrapped by Open and ParseURL for a backend URL they cannot
// use. Its message never repeats the URL's password.
var ErrInvalidURL = errors.New("redis: invalid backend URL")

// Timeouts applied unless the URL sets its own (dial_timeout=, read_timeout=,
// write_timeout=): short, so that an unreachable server is an error within
// seconds rather than a hang.
const (
	DefaultDialTimeout  = 2 * time.Second
	DefaultReadTimeout  = 2 * time.Second
	DefaultWriteTimeout = 2 * time.Second
)

// ParseURL turns a backend URL into go-redis options, as redis-py users
// write them:
//
//	redis://[[user]:password@]host[:port][/db][?option=value...]
//	rediss://...                          (TLS)
//	redis+cluster://[[user]:password@]host:port,host:port[,...][?...]
//	rediss+cluster://...                  (a cluster over TLS)
//
// The options are go-redis's (dial_timeout, read_timeout, pool_size,
// max_retries, ...); the port defaults to 6379 and the database to 0. A
// cluster has no database: a path is refused.
func ParseURL(raw string) (*redis.UniversalOptions, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, fmt.Errorf("%w: expected redis://host:port/db, rediss://... or redis+cluster://host:port,host:port (got no scheme)", ErrInvalidURL)
	}
	var o *redis.UniversalOptions
	var err error
	switch scheme {
	case "redis", "rediss":
		o, err = parseSingle(raw)
	case "redis+cluster", "rediss+cluster":
		o, err = parseCluster(strings.TrimSuffix(scheme, "+cluster"), rest)
	default:
		return nil, fmt.Errorf("%w: unknown scheme %q (expected redis, rediss, redis+cluster or rediss+cluster)", ErrInvalidURL, scheme)
	}
	if err != nil {
		return nil, err
	}
	for _, addr := range o.Addrs {
		if _, port, err := net.SplitHostPort(addr); err != nil || port == "" || port == "0" {
			return nil, fmt.Errorf("%w: bad address %q", ErrInvalidURL, addr)
		}
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 2 // a pooled connection may have died with a restart
	}
	return o, nil
}

// redact names a URL's problem without its password: url.Parse errors
// quote the whole URL.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%w: %v", ErrInvalidURL, ue.Err)
	}
	msg := err.Error()
	return fmt.Errorf("%w: %s", ErrInvalidURL, strings.TrimPrefix(msg, "redis: "))
}

func parseSingle(raw string) (*redis.UniversalOptions, error) {
	if u, err := url.Parse(raw); err != nil {
		return nil, redact(err)
	} else if u.Host == "" {
		return nil, fmt.Errorf("%w: no host", ErrInvalidURL)
	}
	o, err := redis.ParseURL(raw)
	if err != nil {
		return nil, redact(err)
	}
	return &redis.UniversalOptions{
		Addrs:           []string{o.Addr},
		DB:              o.DB,
		Username:        o.Username,
		Password:        o.Password,
		TLSConfig:       o.TLSConfig,
		ClientName:      o.ClientName,
		Protocol:        o.Protocol,
		MaxRetries:      o.MaxRetries,
		MinRetryBackoff: o.MinRetryBackoff,
		MaxRetryBackoff: o.MaxRetryBackoff,
		DialTimeout:     o.DialTimeout,
		ReadTimeout:     o.ReadTimeout,
		WriteTimeout:    o.WriteTimeout,
		PoolFIFO:        o.PoolFIFO,
		PoolSize:        o.PoolSize,
		PoolTimeout:     o.PoolTimeout,
		MinIdleConns:    o.MinIdleConns,
		MaxIdleConns:    o.MaxIdleConns,
		MaxActiveConns:  o.MaxActiveConns,
		ConnMaxIdleTime: o.ConnMaxIdleTime,
		ConnMaxLifetime: o.ConnMaxLifetime,
	}, nil
}

// parseCluster reads the seed addresses (host:port,host:port) itself and
// lets go-redis read the credentials and options from a one-host URL.
func parseCluster(scheme, rest string) (*redis.UniversalOptions, error) {
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	userinfo, hosts := "", authority
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		userinfo, hosts = authority[:i+1], authority[i+1:]
	}
	path, _, _ := strings.Cut(tail, "?")
	if path != "" && path != "/" {
		return nil, fmt.Errorf("%w: a cluster URL has no database (path %q)", ErrInvalidURL, path)
	}
	var addrs []string
	for _, h := range strings.Split(hosts, ",") {
		if h == "" {
			return nil, fmt.Errorf("%w: empty address in the cluster's address list", ErrInvalidURL)
		}
		u, err := url.Parse("redis://" + h)
		if err != nil || u.Hostname() == "" || u.Port() == "" {
			return nil, fmt.Errorf("%w: cluster address %q must be host:port", ErrInvalidURL, h)
		}
		addrs = append(addrs, net.JoinHostPort(u.Hostname(), u.Port()))
	}
	query := ""
	if _, q, ok := strings.Cut(tail, "?"); ok {
		query = "?" + q
	}
	co, err := redis.ParseClusterURL(scheme + "://" + userinfo + addrs[0] + query)
	if err != nil {
		return nil, redact(err)
	}
	return &redis.UniversalOptions{
		Addrs:           addrs,
		IsClusterMode:   true,
		Username:        co.Username,
		Password:        co.Password,
		TLSConfig:       co.TLSConfig,
		ClientName:      co.ClientName,
		Protocol:        co.Protocol,
		MaxRedirects:    co.MaxRedirects,
		MaxRetries:      co.MaxRetries,
		MinRetryBackoff: co.MinRetryBackoff,
		MaxRetryBackoff: co.MaxRetryBackoff,
		DialTimeout:     co.DialTimeout,
		ReadTimeout:     co.ReadTimeout,
		WriteTimeout:    co.WriteTimeout,
		PoolFIFO:        co.PoolFIFO,
		PoolSize:        co.PoolSize,
		PoolTimeout:     co.PoolTimeout,
		MinIdleConns:    co.MinIdleConns,
		MaxIdleConns:    co.MaxIdleConns,
		MaxActiveConns:  co.MaxActiveConns,
		ConnMaxIdleTime: co.ConnMaxIdleTime,
		ConnMaxLifetime: co.ConnMaxLifetime,
	}, nil
}
