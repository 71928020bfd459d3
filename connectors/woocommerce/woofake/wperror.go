package woofake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// wpError is a WP_Error as the REST server serialises it:
// {"code":"…","message":"…","data":{"status":N,…}}.
type wpError struct {
	Status  int
	Code    string
	Message string
	Params  map[string]string      // rest_invalid_param: param -> message
	Details map[string]paramDetail // rest_invalid_param: param -> the underlying error
}

type paramDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data"`
}

func (e *wpError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

type wpErrorBody struct {
	Code    string      `json:"code"`
	Message string      `json:"message"`
	Data    wpErrorData `json:"data"`
}

type wpErrorData struct {
	Status  int                    `json:"status"`
	Params  map[string]string      `json:"params,omitempty"`
	Details map[string]paramDetail `json:"details,omitempty"`
}

func (e *wpError) body() []byte {
	b, err := json.Marshal(wpErrorBody{Code: e.Code, Message: e.Message, Data: wpErrorData{Status: e.Status, Params: e.Params, Details: e.Details}})
	if err != nil {
		return []byte(`{"code":"internal_server_error","message":"encoding","data":{"status":500}}`)
	}
	return phpJSON(b)
}

func newErr(status int, code, msg string) *wpError {
	return &wpError{Status: status, Code: code, Message: msg}
}

// invalidParams builds WordPress's rest_invalid_param answer (WP_REST_Request::has_valid_params).
func invalidParams(bad []paramProblem) *wpError {
	e := &wpError{Status: http.StatusBadRequest, Code: "rest_invalid_param", Params: map[string]string{}, Details: map[string]paramDetail{}}
	names := make([]string, 0, len(bad))
	for _, p := range bad {
		names = append(names, p.param)
		e.Params[p.param] = p.message
		e.Details[p.param] = paramDetail{Code: p.code, Message: p.message}
	}
	e.Message = "Invalid parameter(s): " + strings.Join(names, ", ")
	return e
}

type paramProblem struct{ param, code, message string }

// Errors WooCommerce and WordPress answer, with their real codes and messages.
var (
	errNoRoute = newErr(http.StatusNotFound, "rest_no_route", "No route was found matching the URL and request method.")

	errCannotList   = newErr(http.StatusUnauthorized, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
	errCannotView   = newErr(http.StatusUnauthorized, "woocommerce_rest_cannot_view", "Sorry, you cannot view this resource.")
	errCannotEdit   = newErr(http.StatusUnauthorized, "woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource.")
	errCannotCreate = newErr(http.StatusUnauthorized, "woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources.")
	errCannotBatch  = newErr(http.StatusUnauthorized, "woocommerce_rest_cannot_batch", "Sorry, you are not allowed to batch manipulate this resource.")

	errBatchTooLarge = newErr(http.StatusRequestEntityTooLarge, "woocommerce_rest_request_entity_too_large", "Unable to accept more than 100 items for this request.")

	errCustomerNotFound = newErr(http.StatusNotFound, "woocommerce_rest_invalid_id", "Invalid resource ID.")
	errOrderNotFound    = newErr(http.StatusNotFound, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
	errRefundsNoOrder   = newErr(http.StatusNotFound, "woocommerce_rest_invalid_order_id", "Invalid order ID.")

	errInvalidJSON = newErr(http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.")
)

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeHTML(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// Pages a WordPress site answers outside the REST API (or in front of it).
func themeNotFoundPage(site string) string {
	return `<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="UTF-8">
<title>Page not found &#8211; ` + site + `</title>
<link rel="https://api.w.org/" href="/wp-json/" />
</head>
<body class="error404 wp-theme-storefront woocommerce-no-js">
<main id="main" class="site-main"><div class="error-404 not-found"><h1 class="page-title">Oops! That page can&rsquo;t be found.</h1>
<p>Nothing was found at this location. Try searching, or check out the links below.</p></div></main>
</body>
</html>
`
}

func homePage(site string) string {
	return `<!DOCTYPE html>
<html lang="en-US">
<head><meta charset="UTF-8"><title>` + site + `</title><link rel="https://api.w.org/" href="/wp-json/" /></head>
<body class="home wp-theme-storefront woocommerce-js"><h1>` + site + `</h1></body>
</html>
`
}

const loginPage = `<!DOCTYPE html>
<html lang="en-US">
<head><meta charset="UTF-8"><title>Log In &lsaquo; Fake Woo Shop &#8212; WordPress</title></head>
<body class="login no-js login-action-login wp-core-ui">
<div id="login"><h1><a href="https://wordpress.org/">Powered by WordPress</a></h1>
<form name="loginform" id="loginform" action="/wp-login.php" method="post">
<p><label for="user_login">Username or Email Address</label><input type="text" name="log" id="user_login"></p>
<p><label for="user_pass">Password</label><input type="password" name="pwd" id="user_pass"></p>
</form></div>
</body>
</html>
`

const maintenancePage = `<!DOCTYPE html>
<html lang="en-US">
<head><meta charset="UTF-8"><title>Maintenance</title></head>
<body id="error-page"><div class="wp-die-message"><h1>Briefly unavailable for scheduled maintenance. Check back in a minute.</h1></div></body>
</html>
`

const challengePage = `<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title><meta http-equiv="refresh" content="360"></head>
<body><div class="main-wrapper" role="main"><div class="main-content"><h1>Checking if the site connection is secure</h1>
<p>Enable JavaScript and cookies to continue</p></div></div></body></html>
`

const gatewayPage = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
`

const criticalErrorBody = `{"code":"internal_server_error","message":"<p>There has been a critical error on this website.<\/p><p><a href=\"https:\/\/wordpress.org\/documentation\/article\/faq-troubleshooting\/\">Learn more about troubleshooting WordPress.<\/a><\/p>","data":{"status":500},"additional_errors":[]}`
