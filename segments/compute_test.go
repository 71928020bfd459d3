package segments

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"
)

// ScoreAll gives every profile the segments Score gives it (an empty list stays non-nil, as
// records store it), each list its own: appending to one cannot change another.
func TestScoreAllListsAreScoresOwn(t *testing.T) {
	now := synthStart.Add(800 * 24 * time.Hour)
	feats := ExtractAll(synthProfiles(12000, 3), DefaultOptions())
	m := Fit(feats, now, DefaultOptions())
	members, err := m.ScoreAll(context.Background(), slices.Clone(feats), now)
	if err != nil {
		t.Fatal(err)
	}
	for i := range feats {
		want, err := m.Score(&feats[i], now)
		if err != nil {
			t.Fatal(err)
		}
		got := members[i].Segments
		if !reflect.DeepEqual(got, want) || got == nil {
			t.Fatalf("profile %d: ScoreAll %#v, Score %#v", i, got, want)
		}
		if cap(got) != len(got) {
			t.Fatalf("profile %d: capacity %d beyond its %d segments", i, cap(got), len(got))
		}
	}
	next := slices.Clone(members[1].Segments)
	_ = append(members[0].Segments, "zz-appended")
	if !slices.Equal(members[1].Segments, next) {
		t.Fatalf("appending to one list changed the next: %v", members[1].Segments)
	}
	var slab segmentSlab
	if got := slab.copy([]string{}); got == nil || len(got) != 0 {
		t.Fatalf("an empty list copies to %#v, want an empty non-nil one as Score gives", got)
	}
}
