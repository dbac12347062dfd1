package leaderboard

import (
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
