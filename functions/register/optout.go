package register

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/store"
	"github.com/checkin-registry/registry/shared/token"
)

// The opt-out link in code e-mails leads to a page that only asks: mail scanners
// fetch links, so GET changes nothing. The page's form, or a JSON POST, blocks the
// address from every further message.
var optoutPages = template.Must(template.New("confirm").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Stop messages / Hentikan mesej</title>
<style>body{font:18px/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#111}button{font:inherit;padding:.6rem 1.2rem;background:#0b5;color:#fff;border:0;border-radius:.4rem}</style>
</head><body>
{{if .Done}}<h1>Done / Selesai</h1>
<p>We will send no more messages to this address.</p><p>Kami tidak akan menghantar mesej lagi ke alamat ini.</p>
{{else if .Bad}}<h1>Link not valid / Pautan tidak sah</h1>
<p>This link is invalid or has expired.</p><p>Pautan ini tidak sah atau telah tamat tempoh.</p>
{{else}}<h1>This was not me / Ini bukan saya</h1>
<p>Someone asked us to send a check-in registry code to this address. If it was not you, stop all further messages from us.</p>
<p>Seseorang meminta kod daftar masuk dihantar ke alamat ini. Jika bukan anda, hentikan semua mesej daripada kami.</p>
<form method="post" action="/v1/optout"><input type="hidden" name="token" value="{{.Token}}">
<button type="submit">Stop messages / Hentikan mesej</button></form>
{{end}}</body></html>
`))

type optoutPage struct {
	Token     string
	Done, Bad bool
}

func (h *Handler) page(req events.APIGatewayProxyRequest, status int, p optoutPage) events.APIGatewayProxyResponse {
	var b strings.Builder
	if err := optoutPages.Execute(&b, p); err != nil {
		return api.ErrorResponse(context.Background(), h.log, req, err)
	}
	resp := api.Raw(req, status, "text/html; charset=utf-8", b.String(), false)
	resp.Headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
	resp.Headers["Referrer-Policy"] = "no-referrer"
	return resp
}

func (h *Handler) optoutPage(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	tok := req.QueryStringParameters["token"]
	if _, err := h.optout.Check(tok, optOutAudience, h.now()); err != nil {
		return h.page(req, 400, optoutPage{Bad: true}), nil
	}
	return h.page(req, 200, optoutPage{Token: tok}), nil
}

// optoutConfirm blocks the address of an opt-out token: from a JSON POST, from the
// page's form, or from a mail provider's one-click unsubscribe (RFC 8058), which
// posts the form body "List-Unsubscribe=One-Click" (URL-encoded or multipart) to the
// List-Unsubscribe URL, so the token comes in that URL's query string.
func (h *Handler) optoutConfirm(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	mt, params, _ := mime.ParseMediaType(api.Header(req, "Content-Type"))
	form := mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data"
	var tok string
	if form {
		v, err := formValues(req, mt, params["boundary"])
		if err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		tok = v.Get("token")
		if tok == "" && v.Get("List-Unsubscribe") == "One-Click" {
			tok = req.QueryStringParameters["token"]
		}
	} else {
		var in struct {
			Token string `json:"token"`
		}
		if err := api.DecodeJSON(req, &in); err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		tok = in.Token
	}
	now := h.now()
	destHash, err := h.optout.Check(tok, optOutAudience, now)
	if err != nil {
		if form {
			return h.page(req, 400, optoutPage{Bad: true}), nil
		}
		if errors.Is(err, token.ErrExpired) {
			return events.APIGatewayProxyResponse{}, api.Errorf(api.CodeUnauthorized, "This opt-out link has expired.")
		}
		return events.APIGatewayProxyResponse{}, api.Invalid(map[string]string{"token": "is not a valid opt-out token"})
	}
	if err := h.store.Suppress(ctx, destHash, store.Suppression{Reason: "optout", CreatedAt: now.Unix()}, now); err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	h.log.InfoContext(ctx, "destination opted out", "destHash", destHash[:12])
	if form {
		return h.page(req, 200, optoutPage{Done: true}), nil
	}
	return api.JSON(req, 200, map[string]string{"status": "opted_out"}), nil
}

// formValues decodes a form body of media type mt: URL-encoded, or multipart with
// boundary (text fields only; a file part is refused).
func formValues(req events.APIGatewayProxyRequest, mt, boundary string) (url.Values, error) {
	body, err := api.Body(req)
	if err != nil {
		return nil, err
	}
	if len(body) > api.MaxBodyBytes {
		return nil, api.Errorf(api.CodePayloadTooLarge, "The request body is too large.")
	}
	bad := api.Errorf(api.CodeInvalidRequest, "The form is malformed.")
	if mt == "application/x-www-form-urlencoded" {
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, bad
		}
		return v, nil
	}
	if boundary == "" {
		return nil, bad
	}
	f, err := multipart.NewReader(bytes.NewReader(body), boundary).ReadForm(api.MaxBodyBytes)
	if err != nil || len(f.File) > 0 {
		return nil, bad
	}
	return url.Values(f.Value), nil
}
