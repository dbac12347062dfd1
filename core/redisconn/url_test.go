package redisconn

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseURL(t *testing.T) {
	o, err := ParseURL("redis://u:p%40ss@example.org:7000/3?pool_size=4")
	require.NoError(t, err)
	assert.Equal(t, []string{"example.org:7000"}, o.Addrs)
	assert.Equal(t, 3, o.DB)
	assert.Equal(t, "u", o.Username)
	assert.Equal(t, "p@ss", o.Password)
	assert.Equal(t, 4, o.PoolSize)
	assert.Equal(t, DefaultDialTimeout, o.DialTimeout)
	assert.Nil(t, o.TLSConfig)
	assert.False(t, o.IsClusterMode)

	o, err = ParseURL("rediss://:secret@cache.internal/0?dial_timeout=7")
	require.NoError(t, err)
	assert.Equal(t, []string{"cache.internal:6379"}, o.Addrs)
	require.NotNil(t, o.TLSConfig)
	assert.Equal(t, "cache.internal", o.TLSConfig.ServerName)
	assert.Equal(t, "secret", o.Password)
	assert.Equal(t, 7e9, float64(o.DialTimeout))

	o, err = ParseURL("redis+cluster://:pw@10.0.0.1:7000,10.0.0.2:7001,[::1]:7002?read_timeout=1s")
	require.NoError(t, err)
	assert.True(t, o.IsClusterMode)
	assert.Equal(t, []string{"10.0.0.1:7000", "10.0.0.2:7001", "[::1]:7002"}, o.Addrs)
	assert.Equal(t, "pw", o.Password)
	assert.Equal(t, 1e9, float64(o.ReadTimeout))

	o, err = ParseURL("rediss+cluster://h:1")
	require.NoError(t, err)
	assert.True(t, o.IsClusterMode)
	assert.NotNil(t, o.TLSConfig)
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"redis://h:1/0", "rediss://u:p@h", "redis+cluster://a:1,b:2?x=1",
		"redis://h:1/%zz", "redis+cluster://@,", "redis://[::1:1/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		o, err := ParseURL(raw)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidURL)
			// A password is never repeated in the message. The userinfo
			// is what precedes the last '@' of the authority, which ends
			// at the first '/', '?' or '#' (an '@' after those is part of
			// the path or query, not a password, and may be echoed).
			if _, rest, ok := strings.Cut(raw, "://"); ok {
				authority := rest
				if i := strings.IndexAny(rest, "/?#"); i >= 0 {
					authority = rest[:i]
				}
				if at := strings.LastIndex(authority, "@"); at >= 0 {
					if _, pw, ok := strings.Cut(authority[:at], ":"); ok && len(pw) >= 8 && strings.Count(raw, pw) == 1 && !strings.ContainsAny(pw, "[]%") {
						// Unless the message's own words hold the same
						// text (as "rediss+cluster" holds "s+cluste"):
						// then it is there with the password masked too.
						masked := strings.Replace(raw, pw, strings.Repeat("*", len(pw)), 1)
						if _, err2 := ParseURL(masked); err2 == nil || !strings.Contains(err2.Error(), pw) {
							assert.NotContains(t, err.Error(), pw)
						}
					}
				}
			}
			return
		}
		require.NotEmpty(t, o.Addrs)
	})
}
