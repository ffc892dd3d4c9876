// Port of metadata/source/* + MetadataLoader from google/libphonenumber.
// Functions are kept in upstream source order to ease syncing.
// Last reconciled against: v9.0.32
package phonenumbers

import (
	"sync"

	"google.golang.org/protobuf/proto"
)

// metadataContainer bundles all of the metadata-derived lookup state used by
// the library. The package keeps a single active container (currentMetadata),
// built from the embedded metadata on first use.
type metadataContainer struct {
	// The parsed metadata collection this container was built from.
	metadataCollection *PhoneMetadataCollection

	// A map from country code (as integer) to two letter region codes.
	countryCodeToRegion map[int][]string

	// A mapping from a region code to the PhoneMetadata for that region.
	regionToMetadataMap map[string]*PhoneMetadata

	// A mapping from a country calling code for a non-geographical entity to
	// the PhoneMetadata for that country calling code. Examples of the country
	// calling codes include 800 (International Toll Free Service) and 808
	// (International Shared Cost Service).
	countryCodeToNonGeographicalMetadataMap map[int]*PhoneMetadata

	// The set of regions that share country calling code 1.
	nanpaRegions map[string]struct{}

	// The set of regions the library supports.
	supportedRegions map[string]bool

	// All the calling codes we support.
	supportedCallingCodes map[int]bool

	// The set of calling codes that map to the non-geo entity region ("001").
	countryCodesForNonGeographicalRegion map[int]bool
}

// currentMetadata is the active metadata container. This fork builds it on
// first use rather than in package init (upstream's initMetadata ran from
// phonenumberutil.go's init()), so that a program that links the package but has
// not yet parsed a number pays nothing at start: gunzipping and unmarshalling
// the metadata of every region cost tens of milliseconds of every cold start.
// It is built in two steps, each once: regions() has the fields derived from the
// small country-code-to-region map (supported regions and calling codes), which
// checking a region code needs; metadata() has everything, which parsing,
// validating and formatting a number need. Every reader goes through one of them.
var (
	currentMetadata *metadataContainer
	regionsOnce     sync.Once
	metadataOnce    sync.Once
)

// regions is the container with its region-derived fields built.
func regions() *metadataContainer {
	regionsOnce.Do(initRegions)
	return currentMetadata
}

// metadata is the container with every field built.
func metadata() *metadataContainer {
	metadataOnce.Do(initMetadata)
	return currentMetadata
}

func initRegions() {
	// load our regions
	regionMap, err := loadIntArrayMap(regionData)
	if err != nil {
		panic(err)
	}
	currentMetadata = newRegionContainer(regionMap.Map)
}

func initMetadata() {
	mc := regions()

	// then our metadata
	coll, err := MetadataCollection()
	if err != nil {
		panic(err)
	}

	if err := mc.addCollection(coll); err != nil {
		panic(err)
	}
}

// newRegionContainer builds the fields of a metadataContainer that derive from
// the country-code-to-region map alone; addCollection adds the rest. Together
// they are upstream's newMetadataContainer, split so that region lookups need
// not unpack the metadata collection.
func newRegionContainer(countryCodeToRegion map[int][]string) *metadataContainer {
	mc := &metadataContainer{
		countryCodeToRegion:                  countryCodeToRegion,
		nanpaRegions:                         make(map[string]struct{}),
		supportedRegions:                     make(map[string]bool, 320),
		supportedCallingCodes:                make(map[int]bool, 320),
		countryCodesForNonGeographicalRegion: make(map[int]bool, 16),
	}

	for eKey, regionCodes := range countryCodeToRegion {
		// We can assume that if the county calling code maps to the
		// non-geo entity region code then that's the only region code
		// it maps to.
		if len(regionCodes) == 1 && REGION_CODE_FOR_NON_GEO_ENTITY == regionCodes[0] {
			// This is the subset of all country codes that map to the
			// non-geo entity region code.
			mc.countryCodesForNonGeographicalRegion[eKey] = true
		} else {
			// The supported regions set does not include the "001"
			// non-geo entity region code.
			for _, val := range regionCodes {
				mc.supportedRegions[val] = true
			}
		}

		mc.supportedCallingCodes[eKey] = true
	}
	// If the non-geo entity still got added to the set of supported regions it
	// must be because there are entries that list the non-geo entity alongside
	// normal regions (which is wrong). If we discover this, remove the non-geo
	// entity from the set of supported regions.
	delete(mc.supportedRegions, REGION_CODE_FOR_NON_GEO_ENTITY)

	for _, val := range countryCodeToRegion[NANPA_COUNTRY_CODE] {
		mc.nanpaRegions[val] = struct{}{}
	}

	return mc
}

// addCollection adds the parsed metadata collection to a container.
func (mc *metadataContainer) addCollection(coll *PhoneMetadataCollection) error {
	metadataList := coll.GetMetadata()
	if len(metadataList) == 0 {
		return ErrEmptyMetadata
	}

	mc.metadataCollection = coll
	mc.regionToMetadataMap = make(map[string]*PhoneMetadata)
	mc.countryCodeToNonGeographicalMetadataMap = make(map[int]*PhoneMetadata)

	for _, meta := range metadataList {
		region := meta.GetId()
		if region == "001" {
			// it's a non geographical entity
			mc.countryCodeToNonGeographicalMetadataMap[int(meta.GetCountryCode())] = meta
		} else {
			mc.regionToMetadataMap[region] = meta
		}
	}
	return nil
}

func readFromNanpaRegions(key string) (struct{}, bool) {
	v, ok := regions().nanpaRegions[key]
	return v, ok
}

func readFromRegionToMetadataMap(key string) (*PhoneMetadata, bool) {
	v, ok := metadata().regionToMetadataMap[key]
	return v, ok
}

func readFromCountryCodeToNonGeographicalMetadataMap(key int) (*PhoneMetadata, bool) {
	v, ok := metadata().countryCodeToNonGeographicalMetadataMap[key]
	return v, ok
}

var (
	metadataCollOnce sync.Once
	currMetadataColl *PhoneMetadataCollection
	metadataCollErr  error
)

// MetadataCollection returns the embedded territory metadata collection. The
// result is parsed once and cached; it always reflects the embedded data.
// (Upstream guards the cache with a flag that init set before any concurrent
// use; parsed on first use instead, it is guarded by a sync.Once.)
func MetadataCollection() (*PhoneMetadataCollection, error) {
	metadataCollOnce.Do(func() {
		rawBytes, err := decodeUnzip(numberData)
		if err != nil {
			metadataCollErr = err
			return
		}

		metadataCollection := &PhoneMetadataCollection{}
		if err = proto.Unmarshal(rawBytes, metadataCollection); err != nil {
			metadataCollErr = err
			return
		}
		currMetadataColl = metadataCollection
	})
	return currMetadataColl, metadataCollErr
}
