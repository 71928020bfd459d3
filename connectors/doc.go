// Package connectors will hold the Source and Destination interfaces that every platform
// connector implements (Shopify, WooCommerce, Mailchimp, Klaviyo, listmonk, in subpackages), and
// the HTTP plumbing they share: retries, rate limits and a transport that redacts secrets.
// Connectors know canonical profile types, never segments.
//
// Empty until the first connector issue; see docs/architecture.md.
package connectors
