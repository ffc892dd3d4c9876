package phonenumbers

import (
	"os"
	"os/exec"
	"sync"
	"testing"
)

// TestMetadataLoadsOnFirstUse runs TestLazyChild alone in a process of its own,
// where nothing has used the package yet.
func TestMetadataLoadsOnFirstUse(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestLazyChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PHONENUMBERS_LAZY_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// TestLazyChild checks that package init loaded no metadata, that a region
// lookup loads only the region map, and that the first parses, from several
// goroutines at once, load the rest once and safely (run it with -race).
func TestLazyChild(t *testing.T) {
	if os.Getenv("PHONENUMBERS_LAZY_CHILD") == "" {
		t.Skip("run by TestMetadataLoadsOnFirstUse")
	}
	if currentMetadata != nil || len(shortNumberRegionToMetadataMap) != 0 || currMetadataColl != nil {
		t.Fatal("package init loaded metadata")
	}
	if !GetSupportedRegions()["MY"] {
		t.Fatal("MY is not a supported region")
	}
	if currentMetadata.regionToMetadataMap != nil || currMetadataColl != nil {
		t.Fatal("a region lookup unpacked the metadata collection")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			n, err := Parse("012-345 6789", "MY")
			if err != nil || !IsValidNumber(n) || GetNumberType(n) != MOBILE || IsValidShortNumber(n) {
				t.Errorf("parse: %v %v", n, err)
			}
			if !IsEmergencyNumber("999", "MY") {
				t.Error("999 is not an emergency number in MY")
			}
		})
	}
	wg.Wait()
	if len(currentMetadata.regionToMetadataMap) < 200 || len(shortNumberRegionToMetadataMap) < 200 {
		t.Fatalf("%d regions' metadata, %d regions' short numbers loaded", len(currentMetadata.regionToMetadataMap), len(shortNumberRegionToMetadataMap))
	}
}
