package klaviyo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cohortd/cohortd/connectors/email"
	"github.com/cohortd/cohortd/internal/logging"
)

// contact is every change of one address in a batch, merged in order, and what the client
// learns about it while applying.
type contact struct {
	key         string // lower-cased address
	email       string // as the first change spelt it
	idxs        []int  // indexes of its changes in the batch
	first, last string
	props       desiredProps
	lists       map[string]bool // list name -> true add, false remove (last change wins)

	addIDs      map[string]bool // ids of the lists it joins (for list suppressions)
	exists      bool
	id          string
	remoteProps map[string]any
	st          learned
	err         error
}

func (ct *contact) masked() string { return logging.MaskEmail(ct.email) }

func (ct *contact) hasAdds() bool {
	for _, add := range ct.lists {
		if add {
			return true
		}
	}
	return false
}

// Apply applies up to BatchSize changes and returns one Outcome per change, in order:
//
//  1. resolve list names to ids (cached; created when CreateLists and an add needs one);
//  2. read every address with its subscriptions, 100 per GET /api/profiles;
//  3. drop suppressed addresses (Outcome.Status says why; nothing is written for them);
//  4. create missing profiles and write changed properties: profile import per contact for
//     a few, one bulk import job (up to 10,000) for more, then read the new ids back;
//  5. add and remove list memberships, 1000 profile ids per call per list.
//
// A change for an address that appears several times in the batch shares its outcome.
func (c *Client) Apply(ctx context.Context, changes []email.Change) []email.Outcome {
	out := make([]email.Outcome, len(changes))
	contacts := c.group(changes, out)

	// 1. Lists.
	var names []string
	create := map[string]bool{}
	seen := map[string]bool{}
	for _, ct := range contacts {
		for n, add := range ct.lists {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
			create[n] = create[n] || add
		}
	}
	ids, listErrs := c.resolveLists(ctx, names, create)
	for _, ct := range contacts {
		ct.addIDs = map[string]bool{}
		for n, add := range ct.lists {
			switch err := listErrs[n]; {
			case err == nil || ct.err != nil:
			case errors.Is(err, errMissingList):
				if add {
					ct.err = fmt.Errorf("add to list %q: %w", n, err)
				} // a list that does not exist has nothing to remove
			default:
				ct.err = err
			}
			if add {
				ct.addIDs[ids[n]] = true
			}
		}
	}

	// 2 and 3. Read before write.
	live := pending(contacts)
	chunks := lookupChunks(live)
	c.parallel(len(chunks), func(i int) {
		chunk := chunks[i]
		emails := make([]string, len(chunk))
		for k, ct := range chunk {
			emails[k] = ct.email
		}
		found, err := c.lookup(ctx, emails)
		for _, ct := range chunk {
			if err != nil {
				ct.err = fmt.Errorf("read status: %w", classify(err))
				continue
			}
			rp, ok := found[ct.key]
			if !ok {
				continue // absent: StatusAbsent
			}
			l, known := statusFromSubscriptions(rp.subs, ct.addIDs)
			if !known {
				ct.err = fmt.Errorf("read status %s: answer without subscriptions", ct.masked())
				continue
			}
			ct.exists, ct.id, ct.remoteProps, ct.st = true, rp.id, rp.props, l
		}
	})

	// 4. Profiles.
	var writes []*contact
	for _, ct := range pending(contacts) {
		if c.needsWrite(ct) {
			writes = append(writes, ct)
		}
	}
	if len(writes) > c.opts.BulkThreshold {
		c.bulkWrite(ctx, writes)
	} else {
		c.parallel(len(writes), func(i int) {
			if err := c.importOne(ctx, writes[i]); err != nil {
				writes[i].err = err
			}
		})
	}

	// 5. Memberships.
	c.applyMembership(ctx, planMembership(pending(contacts), ids))

	var failed, suppressed int
	for _, ct := range contacts {
		if ct.err != nil {
			failed++
		} else if ct.st.status.Suppressed() {
			suppressed++
		}
		for _, i := range ct.idxs {
			if out[i].Err != nil {
				continue
			}
			out[i] = email.Outcome{Err: ct.err, Status: ct.st.status, Message: ct.st.message}
			if ct.err == nil && !ct.st.status.Suppressed() {
				out[i].Message = ""
			}
		}
	}
	c.log.Debug().Int("changes", len(changes)).Int("contacts", len(contacts)).Int("failed", failed).Int("suppressed", suppressed).Msg("applied")
	return out
}

// group merges the changes by address. Changes that cannot be sent get their outcome here.
func (c *Client) group(changes []email.Change, out []email.Outcome) []*contact {
	byKey := map[string]*contact{}
	var order []*contact
	for i, ch := range changes {
		addr := strings.TrimSpace(ch.Email)
		if err := checkAddress(addr); err != nil {
			out[i].Err = email.Permanent(fmt.Errorf("klaviyo: change for profile %s: %w", ch.ProfileID, err))
			continue
		}
		key := strings.ToLower(addr)
		ct := byKey[key]
		if ct == nil {
			ct = &contact{key: key, email: addr, lists: map[string]bool{}}
			byKey[key] = ct
			order = append(order, ct)
		}
		ct.idxs = append(ct.idxs, i)
		if ct.first == "" {
			ct.first = strings.TrimSpace(ch.FirstName)
		}
		if ct.last == "" {
			ct.last = strings.TrimSpace(ch.LastName)
		}
		for _, n := range ch.Remove {
			ct.lists[n] = false
		}
		for _, n := range ch.Add {
			ct.lists[n] = true
		}
		c.mapProps(ch.Props, &ct.props)
	}
	return order
}

// checkAddress refuses what cannot be looked up safely: no '@', white space, or a double
// quote (which the filter syntax cannot carry).
func checkAddress(a string) error {
	switch {
	case a == "":
		return errors.New("empty email address")
	case strings.Count(a, "@") != 1 || strings.HasPrefix(a, "@") || strings.HasSuffix(a, "@"):
		return fmt.Errorf("invalid email address %s", logging.MaskEmail(a))
	case strings.ContainsAny(a, " \t\r\n\","):
		return fmt.Errorf("email address %s has characters Klaviyo filters cannot carry", logging.MaskEmail(a))
	}
	return nil
}

// pending returns the contacts still to be written: no error, not suppressed.
func pending(cts []*contact) []*contact {
	var out []*contact
	for _, ct := range cts {
		if ct.err == nil && !ct.st.status.Suppressed() {
			out = append(out, ct)
		}
	}
	return out
}
