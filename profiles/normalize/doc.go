// Package normalize holds the pure cleaning functions applied to every platform record before
// identity resolution: email, phone, person names, country and region, money and currency,
// timestamps and birth dates. Every function is deterministic, keeps no mutable global state
// (lookup tables are built once at package initialisation and only read) and is safe for
// concurrent use. Cleaning never drops data: an input that does not parse keeps its raw text
// and is marked invalid (or returns an error naming the input).
//
// Rules, in short:
//
//   - ParseEmail: trim, lower-case, IDN domain to ASCII (IDNA lookup profile); a conservative
//     syntax check (one '@', 1-64 character dot-atom local part, LDH domain with at least two
//     labels). Key folds provider aliases without changing Address: "+tag" removed at Gmail,
//     Outlook/Hotmail/Live/MSN, iCloud, Fastmail and Proton, "-keyword" at Yahoo,
//     googlemail.com -> gmail.com, dots removed at Gmail only. Flags mark role mailboxes
//     (email_lists.go), disposable providers (an embedded list of about 115 domains drawn from memory of
//     the public disposable-email-domains blocklists, email_lists.go) and test data (test@,
//     asdf@, example.com, the RFC 2606/6761 reserved TLDs .test/.invalid/.example/.localhost).
//   - ParsePhone: github.com/nyaruka/phonenumbers (libphonenumber metadata) with the address
//     country as default region; "00" is the international prefix, "(0)" trunk notation and
//     extensions are dropped. A number is Valid when libphonenumber says so, or when it is
//     possible and in a range reserved for fiction/testing (NANP 555-01XX, Ofcom drama ranges,
//     ACMA fictitious ranges), because test orders and demo stores use exactly those numbers.
//   - FormatPersonName / ParseName: whitespace collapsed; words typed all upper or all lower
//     are title-cased (hyphen and apostrophe parts separately, "Mc" prefix, "d'" stays lower,
//     particles such as van/de/da lower-cased except as the first word); mixed case is kept as
//     typed. The key is NFKD with combining marks removed, lower-cased, letters only.
//   - ParseCountry / ParseRegion: the ISO 3166-1 table (country_data.go, all 249 entries
//     with alpha-2, alpha-3, numeric code, English short name and continent) and the ISO
//     3166-2 subdivisions of US, CA, AU, GB and DE (region_data.go), plus English aliases and
//     common local names; matching ignores case, accents, spaces and punctuation.
//   - ParseMoney / MinorUnits / Rates: ISO 4217 codes with their minor units
//     (currency_data.go); amounts accept thousands separators, decimal commas and currency
//     symbols and are rounded half away from zero to the minor units. Rates converts to one
//     base currency with date-effective rates (the latest rate whose Effective is not after
//     the conversion time), falling back to the inverse of a base->currency rate.
//   - ParseTime: RFC 3339, the Shopify CSV layout, WooCommerce's zone-less layouts (read in a
//     given location), US month-first CSV dates and Unix seconds, always returned in UTC.
//     ParseBirthDate accepts ISO and compact dates, and day/month orders only when unambiguous.
//
// The ISO 3166-1, ISO 3166-2, ISO 4217 and disposable-domain tables were written from memory,
// not generated from the standards' published files; they should be checked against the
// current editions (ISO 3166 Online Browsing Platform, the SIX ISO 4217 list 1) when updated.
package normalize
