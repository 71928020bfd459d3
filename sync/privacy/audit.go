package privacy

import (
	"fmt"
	"time"

	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// auditPrefix keys the audit lines in merge_audit: privacy/TIME/SEQ. Rebuilds clear merge/
// and possible/ only, so the lines outlive them. TIME is fixed-width UTC: byte order is
// time order.
const auditPrefix = "privacy/"

const auditTimeLayout = "2006-01-02T15:04:05.000000000Z"

// AuditLine is the trace an erasure keeps. It holds no personal data: the subject is a
// salted SHA-256 prefix of the customer id (with its store) or of the email key.
type AuditLine struct {
	At        time.Time `cbor:"1,keyasint" json:"at"`
	Action    string    `cbor:"2,keyasint" json:"action"`
	Store     string    `cbor:"3,keyasint,omitempty" json:"store,omitempty"`
	Subject   string    `cbor:"4,keyasint,omitempty" json:"subject,omitempty"`
	RequestID string    `cbor:"5,keyasint,omitempty" json:"request_id,omitempty"`
	Customers int       `cbor:"6,keyasint,omitempty" json:"customers"`
	Orders    int       `cbor:"7,keyasint,omitempty" json:"orders"`
	// ProfilesRemoved and ProfilesChanged count the profiles gone and those left holding the
	// rest of the person's records.
	ProfilesRemoved int `cbor:"8,keyasint,omitempty" json:"profiles_removed"`
	ProfilesChanged int `cbor:"9,keyasint,omitempty" json:"profiles_changed"`
	Memberships     int `cbor:"10,keyasint,omitempty" json:"memberships"`
	Events          int `cbor:"11,keyasint,omitempty" json:"events"`
	Applied         int `cbor:"12,keyasint,omitempty" json:"applied"`
	Unmerges        int `cbor:"13,keyasint,omitempty" json:"unmerges"`
	// Resumed says the erasure was finished after a restart.
	Resumed bool `cbor:"14,keyasint,omitempty" json:"resumed,omitempty"`
	// Destination is the email destination that deleted the person (ActionDestinationDelete).
	Destination string `cbor:"15,keyasint,omitempty" json:"destination,omitempty"`
	// DeadLetters counts the dead-lettered webhook deliveries deleted.
	DeadLetters int `cbor:"16,keyasint,omitempty" json:"dead_letters,omitempty"`
}

// ActionDestinationDelete is the audit action of a person deleted at an email destination.
const ActionDestinationDelete = "destination/delete"

// PutDestinationDelete writes the audit line of address deleted at destination dest: the
// subject is its hash, never the address.
func PutDestinationDelete(tx *store.Tx, dest, address string, at time.Time) error {
	return putAudit(tx, AuditLine{At: at.UTC(), Action: ActionDestinationDelete, Destination: dest, Subject: SubjectHash(address)})
}

func putAudit(tx *store.Tx, line AuditLine) error {
	seq, err := tx.NextSequence(store.MergeAudit)
	if err != nil {
		return err
	}
	key := fmt.Appendf(nil, "%s%s/%020d", auditPrefix, line.At.UTC().Format(auditTimeLayout), seq)
	return tx.PutValue(store.MergeAudit, key, line)
}

// AuditLines returns every privacy audit line, oldest first.
func AuditLines(st *store.Store) ([]AuditLine, error) {
	var out []AuditLine
	err := st.View(func(tx *store.Tx) error {
		return tx.ForEachPrefix(store.MergeAudit, []byte(auditPrefix), func(k, v []byte) error {
			var l AuditLine
			if err := codec.Unmarshal(v, &l); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			out = append(out, l)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("privacy: audit lines: %w", err)
	}
	return out, nil
}

// logResult logs an erasure without personal data.
func logResult(opts Options, l AuditLine) {
	opts.Logger.Info().Str("action", l.Action).Str("store", l.Store).Str("subject", l.Subject).
		Str("request_id", l.RequestID).Int("customers", l.Customers).Int("orders", l.Orders).
		Int("profiles_removed", l.ProfilesRemoved).Int("profiles_changed", l.ProfilesChanged).
		Int("applied_removed", l.Applied).Bool("resumed", l.Resumed).Msg("privacy: erasure done")
}
