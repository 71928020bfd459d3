package woofake

import (
	"crypto/sha1"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Published vectors: OAuth Core 1.0 Appendix A.5 and RFC 5849 section 1.2 (both HMAC-SHA1
// with a token; the token is just another parameter to the base string builder, and the
// key is consumer_secret&token_secret, which WooCommerce's one-legged key reduces to
// consumer_secret&).
func TestSignatureBaseStringPublishedVectors(t *testing.T) {
	cases := []struct {
		name, nonce, ts, version, wantBase, wantSig string
	}{
		{
			name: "OAuth Core 1.0 A.5", nonce: "kllo9940pd9333jh", ts: "1191242096", version: "1.0",
			wantBase: "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal",
			wantSig:  "tR3+Ty81lMeYAr/Fid0kMTYa/WM=",
		},
		{
			name: "RFC 5849 1.2", nonce: "chapoH", ts: "137131202",
			wantBase: "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal",
			wantSig:  "MdpQcU8iPSUjWoN/UDMsK2sui9I=",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := "file=vacation.jpg&size=original&oauth_consumer_key=dpf43f3p2l4k3l03&oauth_token=nnch734d00sl2jdk&oauth_signature_method=HMAC-SHA1&oauth_timestamp=" + c.ts + "&oauth_nonce=" + c.nonce
			if c.version != "" {
				q += "&oauth_version=" + c.version
			}
			got := signatureBaseString("get", "http://photos.example.net/photos", parsePHPQuery(q))
			if got != c.wantBase {
				t.Fatalf("base string\n got %s\nwant %s", got, c.wantBase)
			}
			if sig := hmacB64(sha1.New, "kd94hf93k423kf44&pfkkdhi9sl3r4s00", got); sig != c.wantSig {
				t.Fatalf("signature %s, want %s", sig, c.wantSig)
			}
		})
	}
}

// RFC 5849 section 3.4.1.3 example: WooCommerce reproduces its encoding, with two
// divergences the test pins down: the repeated name a3 keeps one value (the form body's, as
// PHP's array_merge does), and names are sorted before encoding (uksort strcmp), so "c2"
// (0x32) comes before "c@" (0x40) where RFC 5849 sorts "c%40" (0x25) first.
func TestSignatureBaseStringRFC5849Normalisation(t *testing.T) {
	get := parsePHPQuery("b5=%3D%253D&a3=a&c%40=&a2=r%20b")
	post := parsePHPQuery("c2&a3=2+q")
	hdr := `OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", oauth_signature="djosJKDKJSD8743243%2Fjdk33klY%3D"`
	params, err := oauthParameters(oauthRequest{get: get, post: post, authz: hdr})
	if err != nil {
		t.Fatal(err)
	}
	if sig, _ := params.get("oauth_signature"); sig != "djosJKDKJSD8743243/jdk33klY=" {
		t.Fatalf("header signature decoded to %q", sig)
	}
	got := signatureBaseString("POST", "http://example.com/request", params.without("oauth_signature"))
	// RFC: ...a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth...
	want := "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26b5%3D%253D%25253D%26c2%3D%26c%2540%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
	if got != want {
		t.Fatalf("base string\n got %s\nwant %s", got, want)
	}
}

func TestSignedRequestsAccepted(t *testing.T) {
	s := startFake(t, Options{})
	for _, m := range []string{"HMAC-SHA256", "HMAC-SHA1"} {
		s.sg.method = m
		r := s.do(http.MethodGet, "/customers?per_page=100&page=1&role=all&orderby=id&order=asc", nil)
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d: %s", m, r.status, r.body)
		}
		if !strings.Contains(string(r.body), `"username":"admin"`) {
			t.Fatalf("%s: body %s", m, r.body)
		}
	}
	// oauth_* in an "Authorization: OAuth" header is accepted too.
	u, _ := url.Parse(s.sg.sign(http.MethodGet, s.APIURL()+"/customers?role=all", ""))
	q := u.Query()
	var parts []string
	for _, k := range []string{"oauth_consumer_key", "oauth_nonce", "oauth_signature_method", "oauth_timestamp", "oauth_signature"} {
		parts = append(parts, k+`="`+url.QueryEscape(q.Get(k))+`"`)
		q.Del(k)
	}
	u.RawQuery = q.Encode()
	req, _ := http.NewRequest(http.MethodGet, u.String(), nil)
	req.Header.Set("Authorization", "OAuth "+strings.Join(parts, ", "))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("Authorization header: status %d", res.StatusCode)
	}
}

func TestOAuthRefusals(t *testing.T) {
	clock := &fixedClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	s := startFake(t, Options{Now: clock.Now})
	path := s.APIURL() + "/customers?role=all"
	cases := []struct {
		name, url, code, msg string
	}{
		{"wrong secret", (&signer{key: s.sg.key, secret: "cs_wrong", now: clock.Now}).sign("GET", path, ""), "woocommerce_rest_authentication_error", "Invalid signature - provided signature does not match."},
		{"unknown key", (&signer{key: "ck_other", secret: s.sg.secret, now: clock.Now}).sign("GET", path, ""), "woocommerce_rest_authentication_error", "Consumer key is invalid."},
		{"stale timestamp", (&signer{key: s.sg.key, secret: s.sg.secret, now: func() time.Time { return clock.Now().Add(-16 * time.Minute) }}).sign("GET", path, ""), "woocommerce_rest_authentication_error", "Invalid timestamp."},
		{"md5 method", (&signer{key: s.sg.key, secret: s.sg.secret, method: "HMAC-MD5", now: clock.Now}).sign("GET", path, ""), "woocommerce_rest_authentication_error", "Invalid signature - signature method is invalid."},
		{"missing nonce", strings.Replace(s.sg.sign("GET", path, "x1"), "oauth_nonce=x1&", "", 1), "woocommerce_rest_authentication_missing_parameter", "Missing OAuth parameter oauth_nonce"},
		{"signed for another path", strings.Replace(s.sg.sign("GET", path, ""), "/customers?", "/orders?", 1), "woocommerce_rest_authentication_error", "Invalid signature - provided signature does not match."},
		{"no credentials", path, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."},
	}
	for _, c := range cases {
		r := s.doURL(http.MethodGet, c.url, nil)
		e := r.wpErr()
		if r.status != http.StatusUnauthorized || e.Code != c.code || e.Message != c.msg || e.Data.Status != 401 {
			t.Errorf("%s: %d %+v, want 401 %s %q", c.name, r.status, e, c.code, c.msg)
		}
	}

	// Replay of an accepted request.
	u := s.sg.sign("GET", path, "replayed")
	if r := s.doURL("GET", u, nil); r.status != 200 {
		t.Fatalf("first use: %d %s", r.status, r.body)
	}
	r := s.doURL("GET", u, nil)
	if e := r.wpErr(); r.status != 401 || e.Message != "Invalid nonce - nonce has already been used." {
		t.Fatalf("replay: %d %s", r.status, r.body)
	}
	if !s.hasViolation("nonce-reuse") {
		t.Fatal("replay not reported as a violation")
	}

	// WooCommerce keys used nonces by timestamp: a second request in the same second
	// overwrites the first nonce, which can then be replayed (accepted, but reported).
	a := s.sg.sign("GET", path, "na")
	b := s.sg.sign("GET", path, "nb")
	for _, x := range []string{a, b, a} {
		if r := s.doURL("GET", x, nil); r.status != 200 {
			t.Fatalf("same-second nonces: %d %s", r.status, r.body)
		}
	}

	// Basic over plain HTTP is ignored: the route refuses the anonymous request.
	req, _ := http.NewRequest("GET", path, nil)
	req.SetBasicAuth(s.sg.key, s.sg.secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || !s.hasViolation("basic-over-http") {
		t.Fatalf("basic over http: %d, violation %v", res.StatusCode, s.hasViolation("basic-over-http"))
	}
}

func TestBasicOverTLS(t *testing.T) {
	s := startFake(t, Options{TLS: true})
	if !strings.HasPrefix(s.URL(), "https://") {
		t.Fatalf("URL %s", s.URL())
	}
	get := func(user, pass, query string) resp {
		req, _ := http.NewRequest("GET", s.APIURL()+"/customers?role=all"+query, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		res, err := s.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b strings.Builder
		_, _ = io_copy(&b, res)
		return resp{status: res.StatusCode, body: []byte(b.String())}
	}
	if r := get(s.sg.key, s.sg.secret, ""); r.status != 200 {
		t.Fatalf("basic: %d %s", r.status, r.body)
	}
	if r := get(s.sg.key, "cs_wrong", ""); r.status != 401 || r.wpErr().Message != "Consumer secret is invalid." {
		t.Fatalf("wrong secret: %d %s", r.status, r.body)
	}
	if r := get("", "", "&consumer_key="+s.sg.key+"&consumer_secret="+s.sg.secret); r.status != 200 || !s.hasViolation("credentials-in-query") {
		t.Fatalf("query credentials: %d %s", r.status, r.body)
	}
	// OAuth over https signs the https URL.
	if r := s.do("GET", "/customers?role=all", nil); r.status != 200 {
		t.Fatalf("oauth over https: %d %s", r.status, r.body)
	}
}

func TestReadOnlyKeyCannotWrite(t *testing.T) {
	s := startFake(t, Options{Permissions: PermRead})
	r := s.do(http.MethodPost, "/customers/batch", map[string]any{"update": []any{}})
	if e := r.wpErr(); r.status != 401 || e.Message != "The API key provided does not have write permissions." {
		t.Fatalf("%d %s", r.status, r.body)
	}
}
