package notify

import (
	"fmt"
	"time"

	"github.com/checkin-registry/registry/shared/contact"
)

// CodeMessage is the fixed message carrying a one-time code. Its only variable
// parts are the code, its lifetime and, for e-mail, the opt-out link, all made by
// the service: nothing the requester typed.
func CodeMessage(d contact.Destination, code string, ttl time.Duration, optOutURL string) Message {
	minutes := int(ttl.Minutes())
	if d.Channel == contact.SMS {
		return Message{Channel: contact.SMS, To: d.Address, Body: fmt.Sprintf(
			"Check-in registry: your code is %s. It expires in %d minutes. Never share it. / Kod anda %s. Sah %d minit. Jangan kongsi.",
			code, minutes, code, minutes)}
	}
	body := fmt.Sprintf(`Your check-in registry verification code is:

    %s

It expires in %d minutes. Never share it with anyone.

Kod pengesahan daftar daftar masuk anda ialah %s. Sah selama %d minit. Jangan kongsi kod ini.

If you did not ask for this code, someone typed your address by mistake or on purpose.
You can stop all further messages from us here:
Jika anda tidak meminta kod ini, anda boleh menghentikan semua mesej daripada kami di sini:

%s
`, code, minutes, code, minutes, optOutURL)
	return Message{Channel: contact.Email, To: d.Address, Subject: "Your check-in registry code / Kod daftar masuk anda", Body: body, Unsubscribe: optOutURL}
}
