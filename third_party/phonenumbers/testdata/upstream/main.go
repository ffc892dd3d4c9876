// Command upstream writes what github.com/nyaruka/phonenumbers v1.8.1, as
// released, says of the numbers in record.go, one record a line, gzipped: the
// golden file the fork's TestBehavesAsUpstream compares itself with. It is a
// module of its own so that it links the release, not the fork. From this
// directory: go run . > ../upstream-v1.8.1.txt.gz
package main

import (
	"compress/gzip"
	"os"
)

func main() {
	w := gzip.NewWriter(os.Stdout)
	for _, r := range records() {
		w.Write([]byte(r + "\n"))
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
}
