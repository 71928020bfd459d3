package normalize

// roleLocalParts are local parts that name a function rather than a person. Matched against
// the local part with any sub-address tag removed.
var roleLocalParts = setOf(
	"info", "admin", "administrator", "sales", "support", "contact", "hello", "office",
	"billing", "noreply", "no-reply", "webmaster", "postmaster", "hostmaster", "abuse", "help",
	"team", "marketing", "orders", "accounts",
)

// testLocalParts and testDomains flag addresses typed to get past a checkout form. Domains
// under the reserved TLDs of RFC 2606 / RFC 6761 (.test, .invalid, .example, .localhost) are
// flagged as well.
var (
	testLocalParts = setOf(
		"test", "testing", "tester", "test1", "test123", "asdf", "asdfasdf", "asdfgh", "qwerty",
		"qwertyuiop", "noemail", "no-email", "nomail", "none", "nobody", "null", "fake",
		"dummy", "sample", "foo", "xxx", "aaa", "abc", "abc123",
	)
	testDomains = setOf(
		"example.com", "example.net", "example.org", "test.com", "testing.com", "test.test",
		"bar.com", "foo.com", "foobar.com", "asdf.com", "qwerty.com", "noemail.com",
		"none.com", "nomail.com", "fake.com", "domain.com", "email.test",
	)
	testTLDs = setOf("test", "invalid", "example", "localhost")
)

// disposableDomains is a small list of well-known throwaway-mailbox providers, assembled from
// memory of the widely used public blocklists (e.g. the disposable-email-domains project).
// Subdomains of a listed domain are disposable too.
var disposableDomains = setOf(
	"mailinator.com", "mailinator.net", "mailinator2.com", "reallymymail.com", "binkmail.com",
	"bobmail.info", "chammy.info", "suremail.info", "thisisnotmyrealemail.com",
	"guerrillamail.com", "guerrillamail.net", "guerrillamail.org", "guerrillamail.biz",
	"guerrillamail.de", "guerrillamailblock.com", "sharklasers.com", "grr.la", "pokemail.net",
	"spam4.me", "10minutemail.com", "10minutemail.net", "10minutemail.co.uk", "10minmail.com",
	"20minutemail.com", "yopmail.com", "yopmail.net", "yopmail.fr", "cool.fr.nf", "jetable.fr.nf",
	"nospam.ze.tc", "nomail.xl.cx", "mega.zik.dj", "speed.1s.fr", "courriel.fr.nf",
	"moncourrier.fr.nf", "monemail.fr.nf", "monmail.fr.nf", "tempmail.com", "temp-mail.org",
	"temp-mail.io", "tempmail.net", "tempmailo.com", "tempmail.dev", "tempmailaddress.com",
	"tempinbox.com", "tempr.email", "tempail.com", "throwawaymail.com", "trashmail.com",
	"trashmail.net", "trashmail.de", "trashmail.me", "trashmail.at", "trashmail.io",
	"trashmail.ws", "trash-mail.com", "trashmailer.com", "wegwerfmail.de", "wegwerfmail.net",
	"wegwerfmail.org", "einrot.com", "spamgourmet.com", "spambox.us", "spamex.com",
	"mailnesia.com", "maildrop.cc", "mailcatch.com", "mailnull.com", "mintemail.com",
	"mohmal.com", "mytemp.email", "mytrashmail.com", "dispostable.com", "discard.email",
	"discardmail.com", "fakeinbox.com", "fakemail.net", "getnada.com", "nada.email",
	"getairmail.com", "emailondeck.com", "burnermail.io", "33mail.com", "inboxkitten.com",
	"harakirimail.com", "dropmail.me", "emailfake.com", "generator.email", "fakemailgenerator.com",
	"armyspy.com", "cuvox.de", "dayrep.com", "einrot.de", "fleckens.hu", "gustr.com",
	"jourrapide.com", "rhyta.com", "superrito.com", "teleworm.us", "mailforspam.com",
	"spamherelots.com", "sofimail.com", "tmail.ws", "tmails.net", "luxusmail.org",
	"anonbox.net", "byom.de", "mvrht.com", "mailpoof.com", "minuteinbox.com", "emailtemporanea.net",
	"crazymailing.com", "tempmailer.com", "incognitomail.org", "mail-temp.com",
)

func setOf(xs ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(xs))
	for _, x := range xs {
		m[x] = struct{}{}
	}
	return m
}
