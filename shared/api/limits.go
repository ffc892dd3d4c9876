package api

// The text fields' lengths in characters. The site checks the same ones before
// it asks (web/src/js/limits.js, and the pages' minlength and maxlength): a
// test compares them with FieldLimits.
const (
	BusinessNameMin, BusinessNameMax = 2, 100
	AddressMin, AddressMax           = 5, 200
	ContactNameMin, ContactNameMax   = 2, 100
	MessageMin, MessageMax           = 1, 2000
)

// FieldLimits are the limits above by request field.
var FieldLimits = map[string][2]int{
	"businessName": {BusinessNameMin, BusinessNameMax},
	"address":      {AddressMin, AddressMax},
	"name":         {ContactNameMin, ContactNameMax},
	"message":      {MessageMin, MessageMax},
}
