package shopify

// The GraphQL documents the connector sends, every one of them. documents_test.go validates
// each against the real Admin schema (shopifyfake/schema/admin_schema_2025-04.graphql), including the
// bulk queries and the bulk mutation, which travel as strings inside other documents.
//
// Field choices: Shopify's GraphQL Order has no user agent (only REST and webhook payloads
// carry client_details.user_agent); customerJourneySummary gives the landing page and the
// referrer instead. Money is read in shop and presentment currency (MoneyBag).

// customerFields is the selection the connector reads for a customer, paginated or in bulk.
const customerFields = `
      id
      legacyResourceId
      email
      phone
      firstName
      lastName
      locale
      tags
      createdAt
      updatedAt
      numberOfOrders
      amountSpent { amount currencyCode }
      emailMarketingConsent { marketingState marketingOptInLevel consentUpdatedAt }
      defaultAddress { id }
      addresses {
        id firstName lastName company address1 address2 city province provinceCode
        country countryCodeV2 zip phone
      }`

// orderFields is the selection for an order, without its line items (a nested connection:
// inline for paginated queries, separate __parentId lines in bulk output).
const orderFields = `
      id
      legacyResourceId
      name
      email
      phone
      createdAt
      updatedAt
      processedAt
      cancelledAt
      test
      currencyCode
      presentmentCurrencyCode
      customerLocale
      clientIp
      sourceName
      customer { id }
      totalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
      totalRefundedSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
      billingAddress { firstName lastName company address1 address2 city province provinceCode country countryCodeV2 zip phone }
      shippingAddress { firstName lastName company address1 address2 city province provinceCode country countryCodeV2 zip phone }
      customerJourneySummary { customerOrderIndex daysToConversion firstVisit { landingPage referrerUrl source } lastVisit { landingPage referrerUrl source } }
      refunds { id createdAt totalRefundedSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } } }`

// lineItemFields is the selection for one order line.
const lineItemFields = `
          id
          title
          sku
          vendor
          quantity
          product { id productType }
          originalUnitPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }`

// QueryCustomersPage reads one page of customers, oldest update first, filtered by a search
// query such as "updated_at:>='2026-01-01T00:00:00Z'".
const QueryCustomersPage = `query CustomersPage($first: Int!, $after: String, $query: String) {
  customers(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {` + customerFields + `
    }
  }
}`

// QueryOrdersPage reads one page of orders with their first 20 line items (Shopify charges
// a connection first × its node cost: 20 lines keep a page of 10 orders under the 1000-point
// query maximum); QueryOrderLineItems reads the rest of a longer order.
const QueryOrdersPage = `query OrdersPage($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {` + orderFields + `
      lineItems(first: 20) {
        pageInfo { hasNextPage endCursor }
        nodes {` + lineItemFields + `
        }
      }
    }
  }
}`

// QueryOrderLineItems reads the further line items of one order with more than 100 lines.
const QueryOrderLineItems = `query OrderLineItems($id: ID!, $after: String) {
  order(id: $id) {
    id
    lineItems(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {` + lineItemFields + `
      }
    }
  }
}`

// BulkCustomers is the bulk query (the string given to bulkOperationRunQuery) exporting every
// customer. %s is replaced by a search filter, or nothing.
const BulkCustomers = `{
  customers%s {
    edges {
      node {` + customerFields + `
      }
    }
  }
}`

// BulkOrders is the bulk query exporting every order; each line item is a separate JSONL
// object whose __parentId is its order's id.
const BulkOrders = `{
  orders%s {
    edges {
      node {` + orderFields + `
        lineItems {
          edges {
            node {` + lineItemFields + `
            }
          }
        }
      }
    }
  }
}`

// MutationBulkRunQuery starts a bulk query.
const MutationBulkRunQuery = `mutation BulkRunQuery($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}`

const bulkOperationFields = `id status type errorCode objectCount rootObjectCount fileSize url partialDataUrl createdAt completedAt query`

// QueryCurrentBulkOperation reads the shop's current (latest) bulk operation of a type.
const QueryCurrentBulkOperation = `query CurrentBulkOperation($type: BulkOperationType!) {
  currentBulkOperation(type: $type) { ` + bulkOperationFields + ` }
}`

// QueryBulkOperation reads one bulk operation by id.
const QueryBulkOperation = `query BulkOperation($id: ID!) {
  node(id: $id) { ... on BulkOperation { ` + bulkOperationFields + ` } }
}`

// MutationBulkCancel cancels a running bulk operation.
const MutationBulkCancel = `mutation BulkCancel($id: ID!) {
  bulkOperationCancel(id: $id) {
    bulkOperation { id status }
    userErrors { field message }
  }
}`

// MutationTagsAdd adds tags to one customer, leaving every other tag as it is.
const MutationTagsAdd = `mutation TagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) {
    node { id }
    userErrors { field message }
  }
}`

// MutationTagsRemove removes tags from one customer, leaving every other tag as it is.
const MutationTagsRemove = `mutation TagsRemove($id: ID!, $tags: [String!]!) {
  tagsRemove(id: $id, tags: $tags) {
    node { id }
    userErrors { field message }
  }
}`

// BulkTagsAdd and BulkTagsRemove are the mutations run once per JSONL line by
// bulkOperationRunMutation; each line holds {"id": ..., "tags": [...]}.
const (
	BulkTagsAdd    = MutationTagsAdd
	BulkTagsRemove = MutationTagsRemove
)

// MutationStagedUploadsCreate asks for a place to upload a bulk mutation's JSONL variables.
const MutationStagedUploadsCreate = `mutation StagedUploadsCreate($input: [StagedUploadInput!]!) {
  stagedUploadsCreate(input: $input) {
    stagedTargets { url resourceUrl parameters { name value } }
    userErrors { field message }
  }
}`

// MutationBulkRunMutation runs a mutation once per line of an uploaded JSONL file.
const MutationBulkRunMutation = `mutation BulkRunMutation($mutation: String!, $stagedUploadPath: String!) {
  bulkOperationRunMutation(mutation: $mutation, stagedUploadPath: $stagedUploadPath) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}`

// QueryCustomerTags reads the current tags of up to 250 customers (read before write).
const QueryCustomerTags = `query CustomerTags($ids: [ID!]!) {
  nodes(ids: $ids) { ... on Customer { id tags } }
}`

// QueryShop reads what the connector needs to know about the shop.
const QueryShop = `query Shop {
  shop { name myshopifyDomain currencyCode ianaTimezone plan { displayName shopifyPlus } }
}`

// QueryCounts reads how many customers and orders a filter matches (expected rows).
const QueryCounts = `query Counts($customers: String, $orders: String) {
  customersCount(query: $customers) { count precision }
  ordersCount(query: $orders, limit: null) { count precision }
}`

// QueryWebhookSubscriptions lists the app's webhook subscriptions.
const QueryWebhookSubscriptions = `query WebhookSubscriptions($after: String) {
  webhookSubscriptions(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id topic format endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } }
  }
}`

// MutationWebhookSubscriptionCreate subscribes the daemon's public URL to a topic.
const MutationWebhookSubscriptionCreate = `mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $callbackUrl: URL!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {callbackUrl: $callbackUrl, format: JSON}) {
    webhookSubscription { id topic endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } }
    userErrors { field message }
  }
}`

// MutationWebhookSubscriptionDelete removes a subscription (a stale callback URL).
const MutationWebhookSubscriptionDelete = `mutation WebhookSubscriptionDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}`

// Documents lists every operation document, for validation and for the fake's tests.
var Documents = map[string]string{
	"CustomersPage":             QueryCustomersPage,
	"OrdersPage":                QueryOrdersPage,
	"OrderLineItems":            QueryOrderLineItems,
	"BulkRunQuery":              MutationBulkRunQuery,
	"CurrentBulkOperation":      QueryCurrentBulkOperation,
	"BulkOperation":             QueryBulkOperation,
	"BulkCancel":                MutationBulkCancel,
	"TagsAdd":                   MutationTagsAdd,
	"TagsRemove":                MutationTagsRemove,
	"StagedUploadsCreate":       MutationStagedUploadsCreate,
	"BulkRunMutation":           MutationBulkRunMutation,
	"CustomerTags":              QueryCustomerTags,
	"Shop":                      QueryShop,
	"Counts":                    QueryCounts,
	"WebhookSubscriptions":      QueryWebhookSubscriptions,
	"WebhookSubscriptionCreate": MutationWebhookSubscriptionCreate,
	"WebhookSubscriptionDelete": MutationWebhookSubscriptionDelete,
}

// BulkQueries lists the bulk query documents with an example filter filled in.
var BulkQueries = map[string]string{
	"BulkCustomers":         BulkQuery(BulkCustomers, ""),
	"BulkCustomersFiltered": BulkQuery(BulkCustomers, "updated_at:>='2026-01-01T00:00:00Z'"),
	"BulkOrders":            BulkQuery(BulkOrders, ""),
	"BulkOrdersFiltered":    BulkQuery(BulkOrders, "updated_at:>='2026-01-01T00:00:00Z'"),
}
