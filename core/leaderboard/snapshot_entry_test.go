package leaderboard

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

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
		if !json.Valid(raw) {
			return // the decoder hands parse only well-formed values
		}
		var e plainEntry
		if !e.parse(raw) {
			return
		}
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

// FuzzEntryStream reads each input twice, with the top level's entries
// read from the stream (entryStream) and through the JSON decoder: both
// must refuse it, or both load the same board.
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
