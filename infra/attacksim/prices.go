package attacksim

// AWS on-demand prices in US dollars (us-east-1, as published in 2025): the only
// place the simulator's cost figures come from.
const (
	// API Gateway REST API: per request, first 333 million a month.
	priceAPIRequest = 3.50 / 1e6
	// Lambda: per request, and per GB-second on arm64.
	priceLambdaRequest = 0.20 / 1e6
	priceLambdaGBs     = 0.0000133334
	// DynamoDB on-demand: per write request unit and per read request unit.
	priceWriteUnit = 0.625 / 1e6
	priceReadUnit  = 0.125 / 1e6
	// lambdaGB and lambdaSeconds are what one request is billed for: the
	// template's 256 MB, and an assumed 50 ms (two DynamoDB round trips and the
	// handler's own work; the emulator's time says nothing about Lambda's).
	lambdaGB      = 0.25
	lambdaSeconds = 0.05
)

// costPerMillion is the dollars per million requests for requests that made
// readUnits and writeUnits of DynamoDB capacity in all.
func costPerMillion(requests, readUnits, writeUnits int64) float64 {
	if requests == 0 {
		return 0
	}
	perRequest := priceAPIRequest + priceLambdaRequest + lambdaGB*lambdaSeconds*priceLambdaGBs +
		(float64(readUnits)*priceReadUnit+float64(writeUnits)*priceWriteUnit)/float64(requests)
	return perRequest * 1e6
}
