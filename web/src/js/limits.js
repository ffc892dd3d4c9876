// The text fields' lengths in characters, as the API checks them: plain data,
// compared with shared/api's limits and the pages' minlength and maxlength by
// the Go test shared/api/limits_test.go.
export default {
  "businessName": { "min": 2, "max": 100 },
  "address": { "min": 5, "max": 200 },
  "name": { "min": 2, "max": 100 },
  "message": { "min": 1, "max": 2000 }
};
