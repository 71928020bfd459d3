package shopifyfake

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cohortd/cohortd/connectors/shopify"
)

// restTruth indexes the generator's REST records by id.
type restTruth struct {
	customers map[string]map[string]any // by gid
	orders    map[string]map[string]any
	products  map[string]map[string]any // by numeric id string
}

func loadTruth(t *testing.T) restTruth {
	dir := filepath.Join(genData(t), "shopify")
	tr := restTruth{customers: map[string]map[string]any{}, orders: map[string]map[string]any{}, products: map[string]map[string]any{}}
	for _, c := range readJSONL(t, filepath.Join(dir, "customers.jsonl")) {
		tr.customers[c["admin_graphql_api_id"].(string)] = c
	}
	for _, o := range readJSONL(t, filepath.Join(dir, "orders.jsonl")) {
		tr.orders["gid://shopify/Order/"+num(o["id"])] = o
	}
	for _, p := range readJSONL(t, filepath.Join(dir, "products.jsonl")) {
		tr.products[num(p["id"])] = p
	}
	return tr
}

func num(v any) string {
	f, _ := v.(float64)
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func utcOf(t *testing.T, rest any) string {
	s, _ := rest.(string)
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return tm.UTC().Format("2006-01-02T15:04:05Z")
}

func checkCustomer(t *testing.T, tr restTruth, n map[string]any) {
	t.Helper()
	id, _ := n["id"].(string)
	rc := tr.customers[id]
	if rc == nil {
		t.Fatalf("customer %v not in generated data", n["id"])
	}
	if n["legacyResourceId"] != num(rc["id"]) || n["email"] != rc["email"] || n["numberOfOrders"] != num(rc["orders_count"]) {
		t.Errorf("customer %s: got %v/%v/%v want %v/%v/%v", id, n["legacyResourceId"], n["email"], n["numberOfOrders"], num(rc["id"]), rc["email"], rc["orders_count"])
	}
	if n["updatedAt"] != utcOf(t, rc["updated_at"]) || !strings.HasSuffix(n["createdAt"].(string), "Z") {
		t.Errorf("customer %s updatedAt %v, REST %v", id, n["updatedAt"], rc["updated_at"])
	}
	wantTags := splitTags(rc["tags"].(string))
	gotTags := []string{}
	for _, x := range n["tags"].([]any) {
		gotTags = append(gotTags, x.(string))
	}
	if !slices.Equal(gotTags, append([]string{}, wantTags...)) && !(len(gotTags) == 0 && len(wantTags) == 0) {
		t.Errorf("customer %s tags %v want %v", id, gotTags, wantTags)
	}
	consent := rc["email_marketing_consent"].(map[string]any)
	if at(n, "emailMarketingConsent", "marketingState") != strings.ToUpper(consent["state"].(string)) {
		t.Errorf("customer %s consent %v want %v", id, at(n, "emailMarketingConsent"), consent)
	}
	if got, want := at(n, "amountSpent", "amount"), decimalString(parseMoney(rc["total_spent"].(string))); got != want {
		t.Errorf("customer %s amountSpent %v want %v", id, got, want)
	}
	addrs := rc["addresses"].([]any)
	if len(addrs) > 0 {
		ra := addrs[0].(map[string]any)
		if at(n, "addresses", 0, "countryCodeV2") != ra["country_code"] || at(n, "addresses", 0, "provinceCode") != ra["province_code"] || at(n, "addresses", 0, "city") != ra["city"] {
			t.Errorf("customer %s address %v want %v", id, at(n, "addresses", 0), ra)
		}
		if !strings.HasPrefix(at(n, "defaultAddress", "id").(string), "gid://shopify/MailingAddress/"+num(ra["id"])) {
			t.Errorf("customer %s defaultAddress %v", id, at(n, "defaultAddress"))
		}
	}
}

func checkOrder(t *testing.T, tr restTruth, n map[string]any, lines []any) {
	t.Helper()
	id, _ := n["id"].(string)
	ro := tr.orders[id]
	if ro == nil {
		t.Fatalf("order %v not in generated data", n["id"])
	}
	if n["name"] != ro["name"] || n["email"] != ro["email"] || n["clientIp"] != ro["browser_ip"] || n["customerLocale"] != ro["customer_locale"] {
		t.Errorf("order %s: %v %v %v %v vs REST %v %v %v %v", id, n["name"], n["email"], n["clientIp"], n["customerLocale"], ro["name"], ro["email"], ro["browser_ip"], ro["customer_locale"])
	}
	if got, want := at(n, "totalPriceSet", "shopMoney", "amount"), decimalString(parseMoney(ro["total_price"].(string))); got != want {
		t.Errorf("order %s total %v want %v", id, got, want)
	}
	if at(n, "totalPriceSet", "presentmentMoney", "currencyCode") != ro["presentment_currency"] {
		t.Errorf("order %s presentment currency %v", id, at(n, "totalPriceSet"))
	}
	rc, _ := ro["customer"].(map[string]any)
	switch {
	case rc == nil && n["customer"] != nil:
		t.Errorf("guest order %s has customer %v", id, n["customer"])
	case rc != nil && at(n, "customer", "id") != rc["admin_graphql_api_id"]:
		t.Errorf("order %s customer %v want %v", id, n["customer"], rc["admin_graphql_api_id"])
	}
	if (ro["cancelled_at"] == nil) != (n["cancelledAt"] == nil) {
		t.Errorf("order %s cancelledAt %v vs %v", id, n["cancelledAt"], ro["cancelled_at"])
	}
	var refunded int64
	for _, r := range ro["refunds"].([]any) {
		for _, tx := range r.(map[string]any)["transactions"].([]any) {
			refunded += parseMoney(tx.(map[string]any)["amount"].(string))
		}
	}
	if got := at(n, "totalRefundedSet", "shopMoney", "amount"); got != decimalString(refunded) {
		t.Errorf("order %s refunded %v want %v", id, got, decimalString(refunded))
	}
	if len(n["refunds"].([]any)) != len(ro["refunds"].([]any)) {
		t.Errorf("order %s refunds %d want %d", id, len(n["refunds"].([]any)), len(ro["refunds"].([]any)))
	}
	if at(n, "billingAddress", "countryCodeV2") != at(ro, "billing_address", "country_code") {
		t.Errorf("order %s billing %v", id, n["billingAddress"])
	}
	rl := ro["line_items"].([]any)
	if lines == nil {
		return
	}
	if len(lines) != len(rl) {
		t.Fatalf("order %s has %d lines, REST %d", id, len(lines), len(rl))
	}
	for k, l := range lines {
		r := rl[k].(map[string]any)
		lm := l.(map[string]any)
		if lm["id"] != "gid://shopify/LineItem/"+num(r["id"]) || lm["sku"] != r["sku"] || lm["quantity"] != r["quantity"] {
			t.Errorf("order %s line %d: %v vs %v", id, k, lm, r)
		}
		if at(lm, "product", "productType") != tr.products[num(r["product_id"])]["product_type"] {
			t.Errorf("order %s line %d productType %v", id, k, at(lm, "product"))
		}
		if at(lm, "originalUnitPriceSet", "shopMoney", "amount") != decimalString(parseMoney(r["price"].(string))) {
			t.Errorf("order %s line %d price %v vs %v", id, k, at(lm, "originalUnitPriceSet"), r["price"])
		}
	}
}

func noErrors(t *testing.T, name string, r gqlResp) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("%s: errors %v", name, r.Errors)
	}
	if at(r.Extensions, "cost", "requestedQueryCost") == nil || at(r.Extensions, "cost", "throttleStatus", "maximumAvailable") == nil {
		t.Fatalf("%s: no cost extension: %v", name, r.Extensions)
	}
}

// runBulk starts a bulk query, waits and downloads its JSONL.
func runBulk(t *testing.T, f *Fake, query string) (map[string]any, []map[string]any) {
	t.Helper()
	r := gql(t, f, shopify.MutationBulkRunQuery, map[string]any{"query": query})
	noErrors(t, "BulkRunQuery", r)
	if ue := at(r.Data, "bulkOperationRunQuery", "userErrors").([]any); len(ue) > 0 {
		t.Fatalf("bulk userErrors %v", ue)
	}
	id := at(r.Data, "bulkOperationRunQuery", "bulkOperation", "id").(string)
	if st := at(r.Data, "bulkOperationRunQuery", "bulkOperation", "status"); st != "CREATED" && st != "RUNNING" && st != "COMPLETED" {
		t.Fatalf("initial status %v", st)
	}
	_, n, _ := parseGID(id)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := f.WaitBulk(ctx, n); err != nil {
		t.Fatal(err)
	}
	r = gql(t, f, shopify.QueryBulkOperation, map[string]any{"id": id})
	noErrors(t, "BulkOperation", r)
	op := r.Data["node"].(map[string]any)
	if op["status"] != "COMPLETED" {
		t.Fatalf("bulk op %v", op)
	}
	url, _ := op["url"].(string)
	if url == "" {
		return op, nil
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("download %d %s", resp.StatusCode, b)
	}
	if size := op["fileSize"]; size != strconv.Itoa(len(b)) {
		t.Errorf("fileSize %v, downloaded %d bytes", size, len(b))
	}
	var lines []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("bulk line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	return op, lines
}

// stageUpload does stagedUploadsCreate and the multipart POST; it returns the key.
func stageUpload(t *testing.T, f *Fake, content []byte) string {
	t.Helper()
	r := gql(t, f, shopify.MutationStagedUploadsCreate, map[string]any{"input": []any{map[string]any{
		"resource": "BULK_MUTATION_VARIABLES", "filename": "bulk_op_vars", "mimeType": "text/jsonl", "httpMethod": "POST"}}})
	noErrors(t, "StagedUploadsCreate", r)
	target := at(r.Data, "stagedUploadsCreate", "stagedTargets", 0).(map[string]any)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	key := ""
	for _, p := range target["parameters"].([]any) {
		pm := p.(map[string]any)
		if pm["name"] == "key" {
			key = pm["value"].(string)
		}
		_ = mw.WriteField(pm["name"].(string), pm["value"].(string))
	}
	fw, _ := mw.CreateFormFile("file", "bulk_op_vars")
	fw.Write(content)
	mw.Close()
	resp, err := http.Post(target["url"].(string), mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(b), "<Key>"+key+"</Key>") {
		t.Fatalf("upload: %d %s", resp.StatusCode, b)
	}
	return key
}

// TestEveryDocumentIsAnswered sends every document of connectors/shopify and every bulk
// query, and checks the answers against the generator's REST records.
func TestEveryDocumentIsAnswered(t *testing.T) {
	f := newLoadedFake(t, Options{})
	tr := loadTruth(t)
	var someCustomer, someOrder string
	checks := map[string]func(t *testing.T){
		"CustomersPage": func(t *testing.T) {
			r := gql(t, f, shopify.QueryCustomersPage, map[string]any{"first": 20, "query": "updated_at:>='2020-01-01T00:00:00Z'"})
			noErrors(t, "CustomersPage", r)
			nodes := at(r.Data, "customers", "nodes").([]any)
			if len(nodes) != 20 || at(r.Data, "customers", "pageInfo", "hasNextPage") != true {
				t.Fatalf("page: %d nodes, pageInfo %v", len(nodes), at(r.Data, "customers", "pageInfo"))
			}
			for _, n := range nodes {
				checkCustomer(t, tr, n.(map[string]any))
			}
			someCustomer = at(nodes, 0, "id").(string)
		},
		"OrdersPage": func(t *testing.T) {
			r := gql(t, f, shopify.QueryOrdersPage, map[string]any{"first": 1})
			noErrors(t, "OrdersPage", r)
			n := at(r.Data, "orders", "nodes", 0).(map[string]any)
			checkOrder(t, tr, n, at(n, "lineItems", "nodes").([]any))
			someOrder = n["id"].(string)
			// a page of orders with refunds and guests somewhere: walk a few pages
			after := at(r.Data, "orders", "pageInfo", "endCursor")
			for range 20 {
				r = gql(t, f, shopify.QueryOrdersPage, map[string]any{"first": 1, "after": after})
				noErrors(t, "OrdersPage", r)
				n := at(r.Data, "orders", "nodes", 0).(map[string]any)
				checkOrder(t, tr, n, at(n, "lineItems", "nodes").([]any))
				after = at(r.Data, "orders", "pageInfo", "endCursor")
			}
		},
		"OrderLineItems": func(t *testing.T) {
			doc := shopify.QueryOrderLineItems
			r := gql(t, f, doc, map[string]any{"id": someOrder})
			if cost := documentCost(t, doc, map[string]any{"id": someOrder}); cost > MaxQueryCost {
				// Shopify's formula rejects this document as written; the fake must too.
				if len(r.Errors) != 1 || at(r.Errors[0], "extensions", "code") != "MAX_COST_EXCEEDED" || at(r.Errors[0], "extensions", "cost") != float64(cost) {
					t.Fatalf("cost %d document answered: %v", cost, r.Errors)
				}
				t.Logf("OrderLineItems requests cost %d > %d: real Shopify rejects it; checking it with first: 100", cost, MaxQueryCost)
				doc = strings.Replace(doc, "first: 250", "first: 100", 1)
				r = gql(t, f, doc, map[string]any{"id": someOrder})
			}
			noErrors(t, "OrderLineItems", r)
			if n := len(at(r.Data, "order", "lineItems", "nodes").([]any)); n != len(tr.orders[someOrder]["line_items"].([]any)) || n == 0 {
				t.Fatalf("line items %d", n)
			}
		},
		"BulkRunQuery": func(t *testing.T) {
			for name, q := range shopify.BulkQueries {
				op, lines := runBulk(t, f, q)
				roots := 0
				for _, l := range lines {
					if l["__parentId"] == nil {
						roots++
					}
				}
				if op["rootObjectCount"] != strconv.Itoa(roots) || op["objectCount"] != strconv.Itoa(len(lines)) {
					t.Errorf("%s: counts %v/%v, lines %d roots %d", name, op["objectCount"], op["rootObjectCount"], len(lines), roots)
				}
				want := 0
				src := tr.customers
				if strings.HasPrefix(name, "BulkOrders") {
					src = tr.orders
				}
				for _, rec := range src {
					if !strings.HasSuffix(name, "Filtered") || utcOf(t, rec["updated_at"]) >= "2026-01-01T00:00:00Z" {
						want++
					}
				}
				if roots != want || want == 0 {
					t.Errorf("%s: %d roots, want %d", name, roots, want)
				}
				if name == "BulkCustomers" {
					checkCustomer(t, tr, lines[0])
				}
			}
		},
		"CurrentBulkOperation": func(t *testing.T) {
			r := gql(t, f, shopify.QueryCurrentBulkOperation, map[string]any{"type": "QUERY"})
			noErrors(t, "CurrentBulkOperation", r)
			op := r.Data["currentBulkOperation"].(map[string]any)
			if op["status"] != "COMPLETED" || op["type"] != "QUERY" || !slices.Contains(slices.Collect(maps.Values(shopify.BulkQueries)), op["query"].(string)) || op["objectCount"] == "0" || op["url"] == nil {
				t.Fatalf("current: %v", op)
			}
		},
		"BulkOperation": func(t *testing.T) {
			r := gql(t, f, shopify.QueryBulkOperation, map[string]any{"id": "gid://shopify/BulkOperation/4000000001"})
			noErrors(t, "BulkOperation", r)
			if at(r.Data, "node", "id") != "gid://shopify/BulkOperation/4000000001" || at(r.Data, "node", "status") != "COMPLETED" {
				t.Fatalf("node: %v", r.Data)
			}
		},
		"BulkCancel": func(t *testing.T) {
			r := gql(t, f, shopify.MutationBulkCancel, map[string]any{"id": "gid://shopify/BulkOperation/4000000001"})
			noErrors(t, "BulkCancel", r)
			ue := at(r.Data, "bulkOperationCancel", "userErrors").([]any)
			if len(ue) != 1 || !strings.Contains(str2(at(ue, 0, "message")), "completed") {
				t.Fatalf("cancel of a completed op: %v", r.Data)
			}
		},
		"TagsAdd": func(t *testing.T) {
			before := tr.customers[someCustomer]["tags"].(string)
			r := gql(t, f, shopify.MutationTagsAdd, map[string]any{"id": someCustomer, "tags": []string{" seg-vip ", "SEG-VIP", "seg-new"}})
			noErrors(t, "TagsAdd", r)
			if at(r.Data, "tagsAdd", "node", "id") != someCustomer || len(at(r.Data, "tagsAdd", "userErrors").([]any)) != 0 {
				t.Fatalf("tagsAdd: %v", r.Data)
			}
			_, n, _ := parseGID(someCustomer)
			want := append(splitTags(before), "seg-vip", "seg-new")
			if got := f.CustomerTags(n); !slices.Equal(got, want) {
				t.Fatalf("tags %v want %v", got, want)
			}
			r = gql(t, f, shopify.MutationTagsAdd, map[string]any{"id": "gid://shopify/Customer/1", "tags": []string{"x"}})
			if ue := at(r.Data, "tagsAdd", "userErrors", 0, "field", 0); ue != "id" || at(r.Data, "tagsAdd", "node") != nil {
				t.Fatalf("unknown id: %v", r.Data)
			}
		},
		"TagsRemove": func(t *testing.T) {
			r := gql(t, f, shopify.MutationTagsRemove, map[string]any{"id": someCustomer, "tags": []string{"SEG-NEW"}})
			noErrors(t, "TagsRemove", r)
			_, n, _ := parseGID(someCustomer)
			want := append(splitTags(tr.customers[someCustomer]["tags"].(string)), "seg-vip")
			if got := f.CustomerTags(n); !slices.Equal(got, want) {
				t.Fatalf("tags %v want %v", got, want)
			}
		},
		"StagedUploadsCreate": func(t *testing.T) {
			if key := stageUpload(t, f, []byte("{}\n")); !strings.HasPrefix(key, "tmp/") {
				t.Fatalf("key %q", key)
			}
		},
		"BulkRunMutation": func(t *testing.T) {
			ids := f.CustomerIDs(3)
			var vars bytes.Buffer
			for _, id := range ids {
				b, _ := json.Marshal(map[string]any{"id": gid("Customer", id), "tags": []string{"bulk-tag"}})
				vars.Write(append(b, '\n'))
			}
			key := stageUpload(t, f, vars.Bytes())
			r := gql(t, f, shopify.MutationBulkRunMutation, map[string]any{"mutation": shopify.BulkTagsAdd, "stagedUploadPath": key})
			noErrors(t, "BulkRunMutation", r)
			id, _ := at(r.Data, "bulkOperationRunMutation", "bulkOperation", "id").(string)
			_, n, ok := parseGID(id)
			if !ok {
				t.Fatalf("no op: %v", r.Data)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if st, err := f.WaitBulk(ctx, n); err != nil || st != "COMPLETED" {
				t.Fatalf("status %s %v", st, err)
			}
			for _, cid := range ids {
				if !slices.Contains(f.CustomerTags(cid), "bulk-tag") {
					t.Errorf("customer %d tags %v", cid, f.CustomerTags(cid))
				}
			}
			r = gql(t, f, shopify.QueryCurrentBulkOperation, map[string]any{"type": "MUTATION"})
			op := r.Data["currentBulkOperation"].(map[string]any)
			if op["objectCount"] != "3" || op["url"] == nil {
				t.Fatalf("mutation op %v", op)
			}
			resp, err := http.Get(op["url"].(string))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			if len(lines) != 3 || !strings.Contains(lines[2], `"__lineNumber":2`) || !strings.Contains(lines[0], `"data":{"tagsAdd":{"node":{"id":"`+gid("Customer", ids[0])) {
				t.Fatalf("result JSONL: %s", b)
			}
		},
		"CustomerTags": func(t *testing.T) {
			r := gql(t, f, shopify.QueryCustomerTags, map[string]any{"ids": []string{someCustomer, "gid://shopify/Customer/1"}})
			noErrors(t, "CustomerTags", r)
			if at(r.Data, "nodes", 0, "id") != someCustomer || !slices.Contains(at(r.Data, "nodes", 0, "tags").([]any), any("seg-vip")) || at(r.Data, "nodes", 1) != nil {
				t.Fatalf("nodes: %v", r.Data)
			}
		},
		"Shop": func(t *testing.T) {
			r := gql(t, f, shopify.QueryShop, nil)
			noErrors(t, "Shop", r)
			if at(r.Data, "shop", "myshopifyDomain") != "shop-a.myshopify.com" || at(r.Data, "shop", "plan", "shopifyPlus") != true || at(r.Data, "shop", "ianaTimezone") != "America/New_York" {
				t.Fatalf("shop: %v", r.Data)
			}
		},
		"Counts": func(t *testing.T) {
			r := gql(t, f, shopify.QueryCounts, map[string]any{"customers": "", "orders": ""})
			noErrors(t, "Counts", r)
			if at(r.Data, "customersCount", "count") != float64(len(tr.customers)) || at(r.Data, "ordersCount", "count") != float64(len(tr.orders)) || at(r.Data, "ordersCount", "precision") != "EXACT" {
				t.Fatalf("counts %v, want %d/%d", r.Data, len(tr.customers), len(tr.orders))
			}
		},
		"WebhookSubscriptionCreate": func(t *testing.T) {
			for range 2 { // duplicates are accepted, like Shopify
				r := gql(t, f, shopify.MutationWebhookSubscriptionCreate, map[string]any{"topic": "CUSTOMERS_UPDATE", "callbackUrl": "https://daemon.example.com/webhooks"})
				noErrors(t, "WebhookSubscriptionCreate", r)
				if at(r.Data, "webhookSubscriptionCreate", "webhookSubscription", "endpoint", "callbackUrl") != "https://daemon.example.com/webhooks" ||
					at(r.Data, "webhookSubscriptionCreate", "webhookSubscription", "endpoint", "__typename") != "WebhookHttpEndpoint" {
					t.Fatalf("create: %v", r.Data)
				}
			}
		},
		"WebhookSubscriptions": func(t *testing.T) {
			r := gql(t, f, shopify.QueryWebhookSubscriptions, nil)
			noErrors(t, "WebhookSubscriptions", r)
			nodes := at(r.Data, "webhookSubscriptions", "nodes").([]any)
			if len(nodes) != 2 || at(nodes, 1, "topic") != "CUSTOMERS_UPDATE" || at(nodes, 0, "format") != "JSON" {
				t.Fatalf("subscriptions: %v", r.Data)
			}
		},
		"WebhookSubscriptionDelete": func(t *testing.T) {
			r := gql(t, f, shopify.MutationWebhookSubscriptionDelete, map[string]any{"id": "gid://shopify/WebhookSubscription/1"})
			noErrors(t, "WebhookSubscriptionDelete", r)
			if at(r.Data, "webhookSubscriptionDelete", "deletedWebhookSubscriptionId") != "gid://shopify/WebhookSubscription/1" || len(f.Subscriptions()) != 1 {
				t.Fatalf("delete: %v", r.Data)
			}
		},
	}
	order := []string{"CustomersPage", "OrdersPage", "OrderLineItems", "BulkRunQuery", "CurrentBulkOperation", "BulkOperation", "BulkCancel",
		"TagsAdd", "TagsRemove", "StagedUploadsCreate", "BulkRunMutation", "CustomerTags", "Shop", "Counts",
		"WebhookSubscriptionCreate", "WebhookSubscriptions", "WebhookSubscriptionDelete"}
	for name := range shopify.Documents {
		if checks[name] == nil || !slices.Contains(order, name) {
			t.Errorf("document %s has no check", name)
		}
	}
	for _, name := range order {
		if !t.Run(name, checks[name]) {
			return
		}
	}
}

// documentCost is the requested cost Shopify's formula gives a document.
func documentCost(t *testing.T, doc string, vars map[string]any) int {
	t.Helper()
	d, errs := loadQuery(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return requestedCost(d.Operations[0], vars)
}
