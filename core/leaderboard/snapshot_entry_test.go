package leaderboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func FuzzPlainEntry(f *testing.F) {
	for _, s := range []string{
		`{"user_id":"123456789012345678","score":12.5,"last_update":1700000000,"g":3.25}`,
		`{"user_id": "a", "score": 1, "last_update": 2}`,
		`{ "g" : 1e-7 , "last_update":-3,"score":0.0,"user_id":""}`,
		`{"user_id":"a\"b","score":1,"last_update":2}`,
		`{"USER_ID":"a","score":1,"last_update":2}`,
		`{"user_id":"a","score":1e400,"last_update":2}`,
		`{"user_id":"a","score":1,"last_update":2.5}`,
		`{"user_id":"a","score":null,"last_update":2}`,
		`{"user_id":"a","user_id":"b","score":1,"last_update":2}`,
		`{"user_id":"é","score":1,"last_update":2,"x":1}`,
		`null`, `[1]`, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var e plainEntry
		lazy := plainEntry{scoreIfNoG: true}
		lazyOK := lazy.parse(raw)
		if !e.parse(raw) {
			require.False(t, lazyOK, "only a lazy score parse accepted %q", raw)
			return
		}
		// Leaving a score unparsed beside a "g" changes nothing else.
		require.True(t, lazyOK, "only a full parse accepted %q", raw)
		require.Equal(t, *e.item.UserID, *lazy.item.UserID)
		require.Equal(t, string(e.item.LastUpdate), string(lazy.item.LastUpdate))
		require.Equal(t, e.item.G == nil, lazy.item.G == nil)
		if e.item.G == nil {
			require.Equal(t, math.Float64bits(*e.item.Score), math.Float64bits(*lazy.item.Score))
		} else {
			require.Equal(t, math.Float64bits(*e.item.G), math.Float64bits(*lazy.item.G))
		}
		// The stream parses the file's bytes in place: parse alone must
		// refuse what is not JSON.
		require.True(t, json.Valid(raw), "parse accepted malformed %q", raw)
		var want *snapshotItem
		require.NoError(t, json.Unmarshal(raw, &want), "parse accepted %q", raw)
		require.NotNil(t, want)
		got := e.item
		require.Equal(t, *want.UserID, *got.UserID)
		require.Equal(t, math.Float64bits(*want.Score), math.Float64bits(*got.Score))
		require.Equal(t, string(want.LastUpdate), string(got.LastUpdate))
		require.Equal(t, want.G == nil, got.G == nil)
		if want.G != nil {
			require.Equal(t, math.Float64bits(*want.G), math.Float64bits(*got.G))
		}
	})
}

// TestPlainEntryDeclines lists what parse leaves to encoding/json.
func TestPlainEntryDeclines(t *testing.T) {
	for _, s := range []string{
		`{"user_id":"a\"b","score":1,"last_update":2}`,
		`{"USER_ID":"a","score":1,"last_update":2}`,
		`{"user_id":"a","score":1e400,"last_update":2}`,
		`{"user_id":"a","score":null,"last_update":2}`,
		`{"user_id":"a","user_id":"b","score":1,"last_update":2}`,
		`{"user_id":"a","score":1,"last_update":2,"x":1}`,
		`{"user_id":"a","score":1}`,
		`null`,
	} {
		var e plainEntry
		require.False(t, e.parse([]byte(s)), s)
	}
	var e plainEntry
	require.True(t, e.parse([]byte(` {"user_id" : "a" ,"score":1,"last_update":2} `)))
}

// TestPlainEntryRepeatedNumbers parses a run of entries with one
// plainEntry, as a load does, where numbers repeat the last one's text,
// differ from it by a byte or a sign, or fail: each as json.Unmarshal
// reads it.
func TestPlainEntryRepeatedNumbers(t *testing.T) {
	var e plainEntry
	lazy := plainEntry{scoreIfNoG: true}
	for _, n := range []string{"1", "1", "2", "10", "1", "1.0", "1e0", "2e0", "-0", "0", "-0", "1e400", "1", "5e-324", "5e-324", "0.1", "0.10"} {
		for _, raw := range []string{
			`{"user_id":"a","score":` + n + `,"last_update":2,"g":` + n + `}`,
			`{"user_id":"a","score":` + n + `,"last_update":2}`,
		} {
			var want *snapshotItem
			if json.Unmarshal([]byte(raw), &want) != nil {
				require.False(t, e.parse([]byte(raw)), raw)
				require.False(t, lazy.parse([]byte(raw)), raw)
				continue
			}
			for _, p := range []*plainEntry{&e, &lazy} {
				require.True(t, p.parse([]byte(raw)), raw)
				if want.G != nil {
					require.Equal(t, math.Float64bits(*want.G), math.Float64bits(*p.item.G), raw)
				}
				if want.G == nil || p == &e {
					require.Equal(t, math.Float64bits(*want.Score), math.Float64bits(*p.item.Score), raw)
				}
			}
		}
	}
}

// TestParseSavedReadsWhatSaveWrites: every entry a save writes with a
// plain id takes parseSaved's path, with the values written; other layouts
// are left to the general parse.
func TestParseSavedReadsWhatSaveWrites(t *testing.T) {
	f := newEntryFormat()
	var e plainEntry
	for _, id := range []string{"", "123456789012345678", "é", "name with spaces"} {
		for _, g := range []float64{0, -0.0, 1, 1e-7, 1e21, -2.5e-300, 1.0 / 3} {
			raw, err := f.appendEntry(nil, []byte(id), g*2, 1_700_000_000, g)
			require.NoError(t, err)
			end, ok := e.parseSaved(raw)
			require.True(t, ok, "%s", raw)
			require.Equal(t, len(raw), end)
			require.Equal(t, id, *e.item.UserID)
			require.Equal(t, math.Float64bits(g*2), math.Float64bits(*e.item.Score))
			require.Equal(t, math.Float64bits(g), math.Float64bits(*e.item.G))
			require.Equal(t, "1700000000", string(e.item.LastUpdate))
		}
	}
	for _, s := range []string{
		`{"user_id": "a","score":1,"last_update":2,"g":1}`,
		`{"user_id":"a","last_update":2,"score":1,"g":1}`,
		`{"user_id":"a","score":1,"last_update":2}`,
		`{"user_id":"a","score":1,"last_update":2,"g":1 }`,
	} {
		_, ok := e.parseSaved([]byte(s))
		require.False(t, ok, s)
		require.True(t, e.parse([]byte(s)), s)
	}
	for _, s := range []string{
		`{"user_id":"a\u0062","score":1,"last_update":2,"g":1}`,
		`{"user_id":"a","score":01,"last_update":2,"g":1}`,
		`{"user_id":"a","score":1,"last_update":2,"g":1e400}`,
		`{"user_id":"a","score":1,"last_update":2,"g":1,}`,
	} {
		_, ok := e.parseSaved([]byte(s))
		require.False(t, ok, s)
	}
}

// FuzzEntryStream reads each input twice, with every board's entries read
// from the stream (entryStream) and through the JSON decoder: both must
// refuse it, or both load the same board.
func FuzzEntryStream(f *testing.F) {
	for _, s := range []string{
		`{"decay_factor":0.95,"max_users":2,"entries":[{"user_id":"a","score":1.5,"last_update":10},{"user_id":"b\u0000","score":-2,"last_update":-5}]}`,
		`{"decay_factor":1,"max_users":0,"entries":[]}`,
		`{"decay_factor":1,"max_users":0,"entries":null}`,
		`{"decay_factor":1,"max_users":0,"entries": [ ] , "landmark":3}`,
		`{"entries":[{"user_id":"x","score":1,"last_update":2,"g":1}],"decay_factor":0.5,"max_users":0,"landmark":2}`,
		`{"decay_factor":1,"max_users":0,"entries":[{"user_id":"a","score":1,"last_update":2},]}`,
		`{"decay_factor":1,"max_users":0,"entries":[{"user_id":"a","score":01,"last_update":2}]}`,
		`{"decay_factor":1,"max_users":0,"entries":[{"user_id":"a","score":1,"last_update":2} {"user_id":"b","score":1,"last_update":2}]}`,
		`{"decay_factor":1,"max_users":0,"entries":[{"user_id":"a]","score":1,"last_update":2,"x":[1,{"y":"}"}]}]}`,
		`{"decay_factor":1,"max_users":0,"landmark":5,"entries":[{"user_id":"a","score":2,"last_update":5,"g":2}],"window_origin":60,"windows":[{"name":"hour","length":3600,"period":0,"board":{"decay_factor":1,"max_users":0,"landmark":5,"entries":[{"user_id":"a","score":1,"last_update":5,"g":1}]}}]}`,
		`{"decay_factor":1,"max_users":0,"entries":[{"user_id":"a","score":1,"last_update":2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		def := loadDefaults{}
		want, werr := readStandingsFrom(bytes.NewReader(data), def, false)
		got, gerr := readStandingsFrom(bytes.NewReader(data), def, true)
		require.Equal(t, werr == nil, gerr == nil, "decoder: %v; stream: %v", werr, gerr)
		if werr != nil {
			require.ErrorIs(t, gerr, ErrSnapshot)
			return
		}
		var a, b bytes.Buffer
		aerr, berr := want.writeSnapshot(&a), got.writeSnapshot(&b)
		require.Equal(t, aerr == nil, berr == nil)
		require.Equal(t, a.String(), b.String())
	})
}

// TestEntryStreamAcrossBuffers loads, through the stream and through the
// JSON decoder, files of thousands of entries of varied lengths, so that
// entries straddle the reader's buffer and its batches at every kind of
// position (inside an id, a number, an escape, between fields), with an
// id longer than the buffer and scores the stream may leave unparsed
// beside a "g" and ones it may not; and files whose one bad entry lies
// batches in, which both must refuse with the same error.
func TestEntryStreamAcrossBuffers(t *testing.T) {
	entries := func(n int, bad func(i int) string) string {
		var sb strings.Builder
		sb.WriteString(`{"decay_factor":0.9,"max_users":0,"landmark":100,"entries":[`)
		for i := range n {
			if i > 0 {
				sb.WriteString(",\n ")
			}
			if s := bad(i); s != "" {
				sb.WriteString(s)
				continue
			}
			id := fmt.Sprintf("u%d-%s", i, strings.Repeat("x", i%97))
			switch {
			case i == 1234:
				id = strings.Repeat("L", 200_000) // longer than the reader's buffer
			case i%7 == 0:
				id += `\"q\u00e9`
			}
			extra := ""
			if i%11 == 0 {
				extra = `,"note":{"a":[1,2,"}"]}`
			}
			score := fmt.Sprintf("%d.%d", i%500, i%10)
			switch i % 13 {
			case 5:
				score = "1" + strings.Repeat("0", 305) // long: parsed though a "g" follows
			case 6:
				score = "2.5E-3"
			}
			g := fmt.Sprintf(`,"g":%d.5`, i%300)
			if i%17 == 0 {
				g = "" // its G comes from its score
			}
			fmt.Fprintf(&sb, `{"user_id":"%s", "score":%s,"last_update":%d%s%s}`,
				id, score, 50+i%50, g, extra)
		}
		sb.WriteString("]}")
		return sb.String()
	}
	load := func(data string, stream bool) (string, error) {
		c, err := readStandingsFrom(strings.NewReader(data), loadDefaults{}, stream)
		if err != nil {
			return "", err
		}
		var out bytes.Buffer
		require.NoError(t, c.writeSnapshot(&out))
		return out.String(), nil
	}
	good := entries(6000, func(int) string { return "" })
	want, err := load(good, false)
	require.NoError(t, err)
	got, err := load(good, true)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Contains(t, got, strings.Repeat("L", 200_000))

	for want, bad := range map[string]func(i int) string{
		`duplicate user_id "u5-xxxxx"`: func(i int) string { // found by the loader
			if i == 4100 {
				return `{"user_id":"u5-xxxxx","score":1,"last_update":2}`
			}
			return ""
		},
		`entry 3500: last_update 2.5 is not an integer`: func(i int) string { // refused by the reader
			if i == 3500 {
				return `{"user_id":"z","score":1,"last_update":2.5}`
			}
			return ""
		},
		`entry 2600: json: cannot unmarshal number 1e400`: func(i int) string { // a score out of range beside a "g"
			if i == 2600 {
				return `{"user_id":"z","score":1e400,"last_update":2,"g":1}`
			}
			return ""
		},
		`entry 2100: invalid character ','`: func(i int) string { // not JSON, batches in
			if i == 2100 {
				return `{"user_id":"z","score":1,,"last_update":2}`
			}
			return ""
		},
	} {
		data := entries(5000, bad)
		_, werr := load(data, false)
		_, gerr := load(data, true)
		require.Error(t, werr)
		require.ErrorIs(t, gerr, ErrSnapshot)
		require.Equal(t, werr.Error(), gerr.Error())
		require.Contains(t, gerr.Error(), want)
	}
}

// TestWindowEntriesStream loads snapshots with windows both ways, through
// the stream and through the JSON decoder: windows before and after the
// top level's entries, boards of thousands of entries (straddling the
// reader's buffer), an empty window board, fields after each window's
// entries; both load the same board, and both refuse a bad entry
// inside a window with the same error.
func TestWindowEntriesStream(t *testing.T) {
	entries := func(n, from int, bad int) string {
		var sb strings.Builder
		sb.WriteString("[")
		for i := range n {
			if i > 0 {
				sb.WriteString(",")
			}
			if i == bad {
				sb.WriteString(`{"user_id":"z","score":1,"last_update":"x"}`)
				continue
			}
			fmt.Fprintf(&sb, `{"user_id":"u%d-%s","score":%d.25,"last_update":%d,"g":%d.5}`,
				from+i, strings.Repeat("w", i%41), i%300, 40+i%50, i%300)
		}
		sb.WriteString("]")
		return sb.String()
	}
	board := func(es string) string {
		return `{"decay_factor":1,"max_users":0,"landmark":100,"entries":` + es + `,"tie_break":"user_id"}`
	}
	window := func(name string, length int64, es string) string {
		return fmt.Sprintf(`{"name":%q,"length":%d,"period":0,"board":%s}`, name, length, board(es))
	}
	top := entries(5000, 0, -1)
	wins := func(bad int) string {
		return `[` + window("day", 86400, entries(3000, 0, -1)) + `,` +
			window("week", 7*86400, entries(4500, 1000, bad)) + `,` +
			window("month", 30*86400, "[]") + `,` + window("year", 365*86400, entries(3, 9000, -1)) + `]`
	}
	load := func(data string, stream bool) (string, error) {
		c, err := readStandingsFrom(strings.NewReader(data), loadDefaults{}, stream)
		if err != nil {
			return "", err
		}
		require.Len(t, c.windows, 4)
		var out bytes.Buffer
		require.NoError(t, c.writeSnapshot(&out))
		return out.String(), nil
	}
	head := `{"decay_factor":1,"max_users":0,"landmark":100,"window_origin":0,`
	for _, data := range []string{
		head + `"entries":` + top + `,"windows":` + wins(-1) + `}`,
		head + `"windows":` + wins(-1) + `,"entries":` + top + `}`,
	} {
		want, err := load(data, false)
		require.NoError(t, err)
		got, err := load(data, true)
		require.NoError(t, err)
		require.Equal(t, want, got)
		require.Contains(t, got, `"u5499-`)
	}

	data := head + `"entries":` + top + `,"windows":` + wins(3700) + `}`
	_, werr := load(data, false)
	_, gerr := load(data, true)
	require.ErrorIs(t, werr, ErrSnapshot)
	require.ErrorIs(t, gerr, ErrSnapshot)
	require.Equal(t, werr.Error(), gerr.Error())
	require.Contains(t, gerr.Error(), "window 1: entry 3700")
}

// parseInt sums short integers itself and leaves longer ones to strconv:
// both ways agree with strconv.ParseInt on what is an int64 and its value.
func TestParseIntAgreesWithStrconv(t *testing.T) {
	for _, s := range []string{
		"0", "-0", "7", "-7", "007", "123456789012345678", "-123456789012345678",
		"999999999999999999", "1234567890123456789", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808", "-9223372036854775809",
		"12345678901234567890", "", "-", "+1", "1.0", "1e3", "12a", "-x", " 1", "٣",
	} {
		want, err := strconv.ParseInt(s, 10, 64)
		jsonInt := err == nil && s != "" && s[0] != '+'
		got, ok := parseInt(json.RawMessage(s))
		require.Equal(t, jsonInt, ok, "%q", s)
		if ok {
			require.Equal(t, want, got, "%q", s)
		}
	}
}

// grownKeys keeps the keys it was given, adds room for n more, and hands
// back the same array when the room is there already.
func TestGrownKeysKeepsKeysAndAddsRoom(t *testing.T) {
	keys := []key{{g: 3, u: 1}, {g: 2, u: 2}, {g: 1, u: 3}}
	grown := grownKeys(keys, 10)
	require.Equal(t, keys, grown)
	require.GreaterOrEqual(t, cap(grown)-len(grown), 10)
	again := grownKeys(grown, 10)
	require.Same(t, &grown[:cap(grown)][cap(grown)-1], &again[:cap(again)][cap(again)-1], "room there already: no new array")
}

// A window's "users" sizes its board no larger than the input could hold.
func TestUsersToReserveIsBoundedByTheInput(t *testing.T) {
	assert.Equal(t, 1000, usersToReserve(1000, 1<<30))
	assert.Equal(t, 100, usersToReserve(1_000_000, 100*minEntryBytes))
	assert.Equal(t, 0, usersToReserve(1_000_000, minEntryBytes-1))
	assert.Equal(t, 1<<20, usersToReserve(maxUserSlots, 0)) // length unknown
	assert.Equal(t, 7, usersToReserve(7, 0))
	assert.Equal(t, 0, usersToReserve(0, 1<<30))
}
