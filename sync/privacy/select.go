package privacy

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cohortd/cohortd/profiles"
	"github.com/cohortd/cohortd/profiles/normalize"
	"github.com/cohortd/cohortd/store"
	"github.com/cohortd/cohortd/store/codec"
)

// Key layout of the buckets sync/ingest writes (see its package doc) and sync/segmenter
// writes (memberships and applied_state), which an erasure cleans up after.
const (
	customerPrefix = "customer/" // source_records: customer/STORE/ID
	orderPrefix    = "order/"    // source_records: order/STORE/ID
	emailIndex     = "email/"    // indexes: email key or address -> profile id
	sourceIndex    = "source/"   // indexes: source ref key -> profile id
	mergePrefix    = "merge/"    // merge_audit: merge/PROFILE/N
	unmergePrefix  = "unmerge/"  // merge_audit: unmerge/A|B
	memberPrefix   = "m/"        // memberships: m/PROFILE
	eventPrefix    = "ev/"       // memberships: ev/TIME/PROFILE
	appliedPrefix  = "seg/"      // applied_state: seg/DESTINATION/PROFILE
	// dead_letters: webhook/SEQ, sync/webhook's rejected deliveries (raw bodies).
	webhookDeadPrefix = "webhook/"
)

// webhookDeadLetter is the part of sync/webhook's DeadLetter an erasure reads (the same CBOR
// keys; this package cannot import sync/webhook, which the daemon wires above it).
type webhookDeadLetter struct {
	Envelope struct {
		Store string `cbor:"2,keyasint"`
		Body  []byte `cbor:"8,keyasint"`
	} `cbor:"1,keyasint"`
	Raw []byte `cbor:"5,keyasint,omitempty"`
}

// target is the set of source refs ("store/kind/id") an erasure covers: every ref of Store
// when it is set, else the listed Refs. It is stored in the pending marker.
type target struct {
	Store string   `cbor:"1,keyasint,omitempty"`
	Refs  []string `cbor:"2,keyasint,omitempty"` // sorted
}

// has reports whether ref is covered.
func (t target) has(ref string) bool {
	if t.Store != "" {
		return strings.HasPrefix(ref, t.Store+"/")
	}
	_, ok := slices.BinarySearch(t.Refs, ref)
	return ok
}

// selection is what one request covers in one transaction.
type selection struct {
	customerKeys [][]byte // source_records keys, copied out of the transaction
	orderKeys    [][]byte
	customers    []profiles.CustomerRecord // decoded (not for a whole shop)
	orders       []profiles.OrderRecord
	target       target
	refs         map[string]bool // target.Refs while selecting
	// touched are further refs whose profiles lose records (the account of an order listed
	// by id), looked up to report them as changed.
	touched  map[string]bool
	profiles map[string]bool // ids of the profiles that hold a selected record
}

func newSelection() *selection {
	return &selection{refs: map[string]bool{}, touched: map[string]bool{}, profiles: map[string]bool{}}
}

func (s *selection) addCustomer(key []byte, c profiles.CustomerRecord) {
	s.customerKeys = append(s.customerKeys, bytes.Clone(key))
	s.customers = append(s.customers, c)
	s.refs[c.Ref().Key()] = true
}

func (s *selection) addOrder(key []byte, o profiles.OrderRecord) {
	s.orderKeys = append(s.orderKeys, bytes.Clone(key))
	s.orders = append(s.orders, o)
	if o.IsGuest() {
		s.refs[o.Ref().Key()] = true
	} else {
		s.touched[o.Ref().Key()] = true
	}
}

// finish fixes the target and finds the profiles that hold a selected record.
func (s *selection) finish(tx *store.Tx) error {
	if s.target.Store != "" {
		prefix := []byte(sourceIndex + s.target.Store + "/")
		if err := tx.ForEachPrefix(store.Indexes, prefix, func(_, v []byte) error {
			s.profiles[string(v)] = true
			return nil
		}); err != nil {
			return fmt.Errorf("read source index: %w", err)
		}
	}
	for ref := range s.refs {
		s.target.Refs = append(s.target.Refs, ref)
	}
	slices.Sort(s.target.Refs)
	for _, set := range []map[string]bool{s.refs, s.touched} {
		for ref := range set {
			if v := tx.Get(store.Indexes, []byte(sourceIndex+ref)); v != nil {
				s.profiles[string(v)] = true
			}
		}
	}
	return nil
}

// validID refuses ids that would reach into another store's or record's keys.
func validID(what, id string) error {
	if strings.Contains(id, "/") {
		return fmt.Errorf("%s %q contains '/'", what, id)
	}
	return nil
}

// selectCustomer selects one store's records of one customer: the customer record, its
// orders, the listed orders and the guest orders in that store whose normalized email is
// one of the customer's (the request's, the customer record's, its orders').
func selectCustomer(tx *store.Tx, req Request) (*selection, error) {
	if req.Store == "" {
		return nil, errors.New("request names no store")
	}
	if req.CustomerID == "" && req.Email == "" && len(req.OrderIDs) == 0 {
		return nil, errors.New("request names no customer: no customer id, email or order id")
	}
	if err := errors.Join(validID("store", req.Store), validID("customer id", req.CustomerID)); err != nil {
		return nil, err
	}
	sel := newSelection()
	emails := map[string]bool{emailKey(req.Email): true}
	if req.CustomerID != "" {
		ref := profiles.SourceRef{Store: req.Store, Kind: profiles.KindCustomer, ID: req.CustomerID}
		sel.refs[ref.Key()] = true
		key := []byte(customerPrefix + req.Store + "/" + req.CustomerID)
		if v := tx.Get(store.SourceRecords, key); v != nil {
			var c profiles.CustomerRecord
			if err := codec.Unmarshal(v, &c); err != nil {
				return nil, fmt.Errorf("decode %s: %w", key, err)
			}
			sel.addCustomer(key, c)
			emails[emailKey(c.Email)] = true
		}
	}
	listed := map[string]bool{}
	for _, id := range req.OrderIDs {
		listed[id] = true
	}
	type guest struct {
		key   []byte
		order profiles.OrderRecord
	}
	var guests []guest
	err := tx.ForEachPrefix(store.SourceRecords, []byte(orderPrefix+req.Store+"/"), func(k, v []byte) error {
		var o profiles.OrderRecord
		if err := codec.Unmarshal(v, &o); err != nil {
			return fmt.Errorf("decode %s: %w", k, err)
		}
		own := req.CustomerID != "" && o.CustomerID == req.CustomerID
		switch {
		case own || listed[o.ID]:
			sel.addOrder(k, o)
			if own {
				emails[emailKey(o.Email)] = true
			}
		case o.IsGuest():
			guests = append(guests, guest{bytes.Clone(k), o})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	delete(emails, "")
	for _, g := range guests {
		if emails[emailKey(g.order.Email)] {
			sel.addOrder(g.key, g.order)
		}
	}
	return sel, sel.finish(tx)
}

// selectShop selects every record of one store. Records are not decoded.
func selectShop(tx *store.Tx, storeID string) (*selection, error) {
	if storeID == "" {
		return nil, errors.New("no store named")
	}
	if err := validID("store", storeID); err != nil {
		return nil, err
	}
	sel := newSelection()
	sel.target.Store = storeID
	for _, p := range []struct {
		prefix string
		keys   *[][]byte
	}{{customerPrefix, &sel.customerKeys}, {orderPrefix, &sel.orderKeys}} {
		if err := tx.ForEachPrefix(store.SourceRecords, []byte(p.prefix+storeID+"/"), func(k, _ []byte) error {
			*p.keys = append(*p.keys, bytes.Clone(k))
			return nil
		}); err != nil {
			return nil, err
		}
	}
	return sel, sel.finish(tx)
}

// selectEmail selects, in every store, the records whose normalized email matches raw's,
// the orders of the customers selected, and every source record of the profiles that hold
// the address: erasing a person by address erases the person as cohortd knows them.
func selectEmail(tx *store.Tx, raw string) (*selection, error) {
	key := emailKey(raw)
	if key == "" {
		return nil, errors.New("no email address given")
	}
	sel := newSelection()
	accounts := map[string]bool{} // "store/id" of customer accounts to erase
	orderIDs := map[string]bool{} // "store/id" of orders to erase
	for _, ik := range []string{emailIndex + key, emailIndex + normalize.ParseEmail(raw).Address} {
		v := tx.Get(store.Indexes, []byte(ik))
		if v == nil || sel.profiles[string(v)] {
			continue
		}
		sel.profiles[string(v)] = true
		var p profiles.Profile
		if err := tx.GetValue(store.Profiles, v, &p); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				continue // an index entry ahead of its profile: nothing more to learn
			}
			return nil, err
		}
		for _, s := range p.Sources {
			sel.refs[s.Key()] = true
			if s.Kind == profiles.KindCustomer {
				accounts[s.Store+"/"+s.ID] = true
			} else {
				orderIDs[s.Store+"/"+s.ID] = true
			}
		}
		for _, o := range p.Orders {
			orderIDs[o.ID] = true
		}
	}
	err := tx.ForEachPrefix(store.SourceRecords, []byte(customerPrefix), func(k, v []byte) error {
		var c profiles.CustomerRecord
		if err := codec.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("decode %s: %w", k, err)
		}
		if emailKey(c.Email) == key || accounts[c.Store+"/"+c.ID] {
			sel.addCustomer(k, c)
			accounts[c.Store+"/"+c.ID] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = tx.ForEachPrefix(store.SourceRecords, []byte(orderPrefix), func(k, v []byte) error {
		var o profiles.OrderRecord
		if err := codec.Unmarshal(v, &o); err != nil {
			return fmt.Errorf("decode %s: %w", k, err)
		}
		if emailKey(o.Email) == key || orderIDs[o.Store+"/"+o.ID] || (!o.IsGuest() && accounts[o.Store+"/"+o.CustomerID]) {
			sel.addOrder(k, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sel, sel.finish(tx)
}
