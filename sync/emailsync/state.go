package emailsync

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// Key layout:
//
//	applied_state  em/DEST/HASH  -> Contact: what DEST was last told about the address
//	suppressions   DEST/HASH     -> Suppression: the address is never written to DEST again
//	outbox keys    c/HASH (a change or a deletion of the address)
const appliedPrefix = "em/"

// Contact is what a destination was last told about one address.
type Contact struct {
	// Email is the address (personal data, needed to take memberships off later).
	Email     string            `cbor:"1,keyasint" json:"-"`
	ProfileID string            `cbor:"2,keyasint" json:"profile_id"`
	Names     []string          `cbor:"3,keyasint,omitempty" json:"names,omitempty"` // remote tags/lists, sorted
	Props     map[string]string `cbor:"4,keyasint,omitempty" json:"props,omitempty"`
	At        time.Time         `cbor:"5,keyasint" json:"at"`
}

// Suppression is an address a destination must never be written to again.
type Suppression struct {
	Status  email.Status `cbor:"1,keyasint" json:"status"`
	Message string       `cbor:"2,keyasint,omitempty" json:"message,omitempty"`
	At      time.Time    `cbor:"3,keyasint" json:"at"`
	// Via says how it was learned: "write" (a change's response or read-before-write) or
	// "status pass".
	Via string `cbor:"4,keyasint" json:"via"`
}

// addressSalt separates these hashes from any other SHA-256 over the same addresses.
const addressSalt = "cohortd/emailsync/v1\x00"

// normalizeAddress is how addresses are compared: trimmed and lower-cased, as the
// platforms compare them (Mailchimp's subscriber hash is the MD5 of the same).
func normalizeAddress(a string) string { return strings.ToLower(strings.TrimSpace(a)) }

// AddressHash is the identifier of an address in keys: a salted SHA-256 prefix (16 bytes).
func AddressHash(address string) string {
	h := sha256.Sum256([]byte(addressSalt + normalizeAddress(address)))
	return hex.EncodeToString(h[:16])
}

// ItemKey is the outbox key of an address.
func ItemKey(address string) string { return "c/" + AddressHash(address) }

func appliedKey(dest, address string) []byte {
	return []byte(appliedPrefix + dest + "/" + AddressHash(address))
}

func suppressionKey(dest, address string) []byte {
	return []byte(dest + "/" + AddressHash(address))
}

// Suppress records that dest must never write address again. An earlier suppression is
// kept (the first reason stays).
func Suppress(tx *store.Tx, dest, address string, s Suppression) error {
	k := suppressionKey(dest, address)
	if tx.Get(store.Suppressions, k) != nil {
		return nil
	}
	return tx.PutValue(store.Suppressions, k, s)
}

// Suppressed returns address's suppression at dest, if any.
func Suppressed(tx *store.Tx, dest, address string) (Suppression, bool, error) {
	var s Suppression
	err := tx.GetValue(store.Suppressions, suppressionKey(dest, address), &s)
	if errors.Is(err, store.ErrNotFound) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("emailsync: %s: read suppression: %w", dest, err)
	}
	return s, true, nil
}

// SuppressionCounts counts dest's suppressions by status.
func SuppressionCounts(st *store.Store, dest string) (map[email.Status]int, error) {
	out := map[email.Status]int{}
	err := st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.Suppressions, []byte(dest+"/"), func(k, v []byte) error {
			var s Suppression
			if err := codec.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			out[s.Status]++
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("emailsync: %s: suppressions: %w", dest, err)
	}
	return out, nil
}

// appliedContacts returns what dest was told, by address hash.
func appliedContacts(tx *store.Tx, dest string) (map[string]Contact, error) {
	out := map[string]Contact{}
	prefix := []byte(appliedPrefix + dest + "/")
	err := tx.ForEachPrefix(store.Applied, prefix, func(k, v []byte) error {
		var c Contact
		if err := codec.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("decode %s: %w", k, err)
		}
		out[string(k[len(prefix):])] = c
		return nil
	})
	return out, err
}
