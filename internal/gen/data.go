package gen

// Static catalogues. All phone numbers are in ranges reserved for fiction
// where the country has one (NANP 555-01xx, Ofcom 07700 900xxx, Bundesnetzagentur
// 030 23125xxx, ARCEP 06 39 98 xx xx, ACMA 0491 570 1xx); Japanese numbers are
// made-up 090-0000-xxxx numbers. Streets, cities and names are common words.

type currency struct {
	code     string
	decimals int
	rate     float64 // units per USD
	symbol   string  // as WooCommerce reports it
}

var currencies = []currency{
	{"USD", 2, 1, "$"},
	{"EUR", 2, 0.92, "€"},
	{"GBP", 2, 0.79, "£"},
	{"CAD", 2, 1.36, "$"},
	{"AUD", 2, 1.52, "$"},
	{"JPY", 0, 150, "¥"},
}

const (
	curUSD = iota
	curEUR
	curGBP
	curCAD
	curAUD
	curJPY
)

type region struct {
	code, name string   // Shopify province_code / province ("" when the country has none)
	variants   []string // other spellings seen in the wild
	cities     []string
	areas      []string // NANP area codes
	zipPrefix  string
}

const (
	locEN = iota
	locDE
	locFR
	locJP
)

type country struct {
	code, name string
	variants   []string
	weight     float64
	currency   int
	tax        float64
	dial       string
	locale     int
	regions    []region
}

var countries = []country{
	{"US", "United States", []string{"USA", "US", "us", "U.S.", "U.S.A.", "United States of America", "united states", "Usa"}, 0.58, curUSD, 0.0725, "1", locEN, []region{
		{"CA", "California", []string{"Calif.", "ca", "california"}, []string{"San Francisco", "Los Angeles", "San Diego", "Oakland"}, []string{"415", "213", "619"}, "9"},
		{"NY", "New York", []string{"N.Y.", "ny", "new york"}, []string{"New York", "Brooklyn", "Buffalo"}, []string{"212", "718"}, "1"},
		{"TX", "Texas", []string{"Tex.", "tx", "texas"}, []string{"Austin", "Houston", "Dallas"}, []string{"512", "713"}, "7"},
		{"WA", "Washington", []string{"Wash.", "wa"}, []string{"Seattle", "Spokane", "Tacoma"}, []string{"206", "509"}, "98"},
		{"IL", "Illinois", []string{"Ill.", "il"}, []string{"Chicago", "Springfield"}, []string{"312", "217"}, "6"},
		{"FL", "Florida", []string{"Fla.", "fl", "florida"}, []string{"Miami", "Orlando", "Tampa"}, []string{"305", "407"}, "3"},
		{"MA", "Massachusetts", []string{"Mass.", "ma"}, []string{"Boston", "Cambridge"}, []string{"617"}, "02"},
	}},
	{"CA", "Canada", []string{"CA", "canada", "CAN", "Kanada"}, 0.08, curCAD, 0.13, "1", locEN, []region{
		{"ON", "Ontario", []string{"Ont.", "on"}, []string{"Toronto", "Ottawa"}, []string{"416", "613"}, "M"},
		{"BC", "British Columbia", []string{"B.C.", "bc"}, []string{"Vancouver", "Victoria"}, []string{"604", "250"}, "V"},
		{"QC", "Quebec", []string{"Québec", "qc", "PQ"}, []string{"Montréal", "Quebec City"}, []string{"514", "418"}, "H"},
		{"AB", "Alberta", []string{"Alta.", "ab"}, []string{"Calgary", "Edmonton"}, []string{"403", "780"}, "T"},
	}},
	{"GB", "United Kingdom", []string{"UK", "U.K.", "GB", "Great Britain", "England", "united kingdom"}, 0.10, curGBP, 0.20, "44", locEN, []region{
		{"", "", nil, []string{"London", "Manchester", "Leeds", "Bristol", "Edinburgh"}, nil, ""},
	}},
	{"DE", "Germany", []string{"Deutschland", "DE", "germany", "GER", "Allemagne"}, 0.08, curEUR, 0.19, "49", locDE, []region{
		{"", "", nil, []string{"Berlin", "München", "Hamburg", "Köln", "Frankfurt am Main"}, nil, ""},
	}},
	{"FR", "France", []string{"FR", "france", "FRANCE", "République française"}, 0.05, curEUR, 0.20, "33", locFR, []region{
		{"", "", nil, []string{"Paris", "Lyon", "Marseille", "Toulouse"}, nil, ""},
	}},
	{"AU", "Australia", []string{"AU", "AUS", "australia", "Aus"}, 0.07, curAUD, 0.10, "61", locEN, []region{
		{"NSW", "New South Wales", []string{"nsw", "N.S.W."}, []string{"Sydney", "Newcastle"}, nil, "2"},
		{"VIC", "Victoria", []string{"vic", "Vic."}, []string{"Melbourne", "Geelong"}, nil, "3"},
		{"QLD", "Queensland", []string{"qld", "Qld"}, []string{"Brisbane", "Gold Coast"}, nil, "4"},
	}},
	{"JP", "Japan", []string{"JP", "日本", "japan", "JPN"}, 0.04, curJPY, 0.10, "81", locJP, []region{
		{"JP-13", "Tokyo", []string{"東京都", "tokyo", "Tōkyō"}, []string{"Chiyoda", "Shibuya", "Shinjuku"}, nil, "1"},
		{"JP-27", "Osaka", []string{"大阪府", "osaka", "Ōsaka"}, []string{"Osaka", "Sakai"}, nil, "5"},
	}},
}

var countryCum = func() []float64 {
	w := make([]float64, len(countries))
	for i, c := range countries {
		w[i] = c.weight
	}
	return cumulative(w...)
}()

type namePool struct {
	first, last []string
	// Kanji spellings parallel to first/last (Japanese pool only).
	firstAlt, lastAlt []string
}

var namePools = [...]namePool{
	locEN: {
		first: []string{"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Christopher", "Karen", "Daniel", "Emily", "Matthew", "Olivia", "Zoë", "José", "María", "Sofía", "Liam", "Noah", "Ava", "Mia", "Ethan", "Harper", "Lucas", "Chloe", "Aiden", "Grace", "Owen", "Hannah", "Siobhán", "Renée", "Priya", "Mohammed", "Aaliyah", "Connor", "Isabella", "Benjamin"},
		last:  []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernández", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "O'Brien", "Nguyen", "Patel", "Kim", "McDonald", "Peña", "Singh", "Van der Berg", "Murphy"},
	},
	locDE: {
		first: []string{"Lukas", "Anna", "Jonas", "Lea", "Felix", "Hannah", "Paul", "Lena", "Maximilian", "Sophie", "Jürgen", "Jörg", "Uwe", "Katrin", "Sabine", "Björn", "Stefan", "Julia", "Günter", "Marie"},
		last:  []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Groß", "Krüger", "Yılmaz", "Kowalski"},
	},
	locFR: {
		first: []string{"Camille", "Léa", "Louis", "Gabriel", "Chloé", "Hugo", "Manon", "Jules", "Inès", "Théo", "Élodie", "François", "Amélie", "Noémie", "Jérôme", "Hélène"},
		last:  []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Lefèvre", "Girard", "Fournier", "Benoît", "Faure", "Rousseau"},
	},
	locJP: {
		first:    []string{"Haruto", "Yui", "Sota", "Hina", "Ren", "Aoi", "Yuto", "Sakura", "Kenji", "Yuki"},
		firstAlt: []string{"陽翔", "結衣", "蒼太", "陽菜", "蓮", "葵", "悠斗", "さくら", "健二", "由紀"},
		last:     []string{"Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura"},
		lastAlt:  []string{"佐藤", "鈴木", "高橋", "田中", "渡辺", "伊藤", "山本", "中村"},
	},
}

// Chinese names appear occasionally in any country.
var (
	cnFirst      = []string{"芳", "伟", "娜", "敏", "静", "磊", "洋", "婷"}
	cnFirstLatin = []string{"Fang", "Wei", "Na", "Min", "Jing", "Lei", "Yang", "Ting"}
	cnLast       = []string{"王", "李", "张", "刘", "陈", "杨"}
	cnLastLatin  = []string{"Wang", "Li", "Zhang", "Liu", "Chen", "Yang"}
)

var streets = [...][][2]string{ // canonical, abbreviated
	locEN: {{"Main Street", "Main St"}, {"Oak Avenue", "Oak Ave"}, {"Maple Street", "Maple St."}, {"Cedar Lane", "Cedar Ln"}, {"Elm Street", "Elm St"}, {"Park Avenue", "Park Ave."}, {"Washington Boulevard", "Washington Blvd"}, {"Lakeview Drive", "Lakeview Dr"}, {"Sunset Boulevard", "Sunset Blvd"}, {"Pine Road", "Pine Rd"}, {"High Street", "High St"}, {"Church Road", "Church Rd"}, {"Station Road", "Station Rd"}, {"Victoria Street", "Victoria St"}},
	locDE: {{"Hauptstraße", "Hauptstr."}, {"Bahnhofstraße", "Bahnhofstr."}, {"Gartenweg", "Gartenweg"}, {"Schillerstraße", "Schillerstr."}, {"Goethestraße", "Goethestr."}, {"Lindenallee", "Lindenallee"}, {"Am Markt", "Am Markt"}},
	locFR: {{"rue de la Paix", "r. de la Paix"}, {"avenue Victor Hugo", "av. Victor Hugo"}, {"rue du Moulin", "r. du Moulin"}, {"boulevard Voltaire", "bd Voltaire"}, {"place de l'Église", "pl. de l'Église"}},
	locJP: {{"Marunouchi", "Marunouchi"}, {"Jingumae", "Jingumae"}, {"Nishishinjuku", "Nishi-Shinjuku"}, {"Umeda", "Umeda"}},
}

var companies = []string{"Acme Corp", "Globex", "Initech", "Umbrella Ltd", "Stark Industries", "Wayne Enterprises", "Hooli", "Vandelay Industries"}

type product struct {
	title, vendor, ptype string
	usd                  float64
}

var catalogue = []product{
	{"Classic Crew T-Shirt", "Northwind Apparel", "T-Shirts", 24},
	{"Organic Cotton Hoodie", "Northwind Apparel", "Hoodies", 64},
	{"Slim Fit Chinos", "Northwind Apparel", "Pants", 58},
	{"Merino Wool Beanie", "Fjell Outdoor", "Accessories", 29},
	{"Down Jacket", "Fjell Outdoor", "Jackets", 219},
	{"Trail Running Shoes", "Fjell Outdoor", "Shoes", 139},
	{"Hiking Socks (3-pack)", "Fjell Outdoor", "Socks", 19},
	{"Waterproof Backpack 25L", "Fjell Outdoor", "Bags", 89},
	{"Ceramic Pour-Over Set", "Kettle & Crumb", "Kitchen", 42},
	{"Single Origin Coffee 250g", "Kettle & Crumb", "Coffee", 16},
	{"Espresso Blend 1kg", "Kettle & Crumb", "Coffee", 38},
	{"Cast Iron Skillet", "Kettle & Crumb", "Kitchen", 55},
	{"Matcha Starter Kit", "Kettle & Crumb", "Tea", 48},
	{"Linen Duvet Cover", "Hearth Home", "Bedding", 149},
	{"Scented Soy Candle", "Hearth Home", "Candles", 22},
	{"Wool Throw Blanket", "Hearth Home", "Bedding", 95},
	{"Stoneware Mug", "Hearth Home", "Kitchen", 18},
	{"Vitamin C Serum", "Glow Lab", "Skincare", 34},
	{"Daily Moisturizer", "Glow Lab", "Skincare", 28},
	{"Mineral Sunscreen SPF 50", "Glow Lab", "Skincare", 24},
	{"Gift Card", "Cohort Demo Store", "Gift Cards", 50},
	{"Yoga Mat", "Flow Studio", "Fitness", 68},
	{"Resistance Bands Set", "Flow Studio", "Fitness", 26},
	{"Insulated Water Bottle", "Flow Studio", "Fitness", 35},
	{"Wireless Earbuds", "Pulse Audio", "Electronics", 129},
	{"Bluetooth Speaker", "Pulse Audio", "Electronics", 79},
	{"USB-C Charging Cable", "Pulse Audio", "Electronics", 15},
	{"Leather Wallet", "Atelier Brun", "Accessories", 75},
	{"Canvas Tote Bag", "Atelier Brun", "Bags", 32},
	{"Silk Scarf", "Atelier Brun", "Accessories", 110},
}

// productCum favours cheap, everyday products.
var productCum = func() []float64 {
	w := make([]float64, len(catalogue))
	for i, p := range catalogue {
		w[i] = 1 / (p.usd + 20)
	}
	return cumulative(w...)
}()

type userAgent struct {
	device, ua string
}

var userAgents = []userAgent{
	{"mobile", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"},
	{"mobile", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"},
	{"mobile", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36"},
	{"mobile", "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.105 Mobile Safari/537.36"},
	{"mobile", "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36"},
	{"desktop", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"},
	{"desktop", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67"},
	{"desktop", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15"},
	{"desktop", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"},
	{"desktop", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36"},
	{"tablet", "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"},
	{"tablet", "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.6312.118 Safari/537.36"},
}

var uaCum = cumulative(12, 10, 9, 7, 4, 14, 5, 9, 5, 2, 5, 2)

// Documentation address ranges (RFC 5737) only.
var ipPrefixes = []string{"192.0.2.", "198.51.100.", "203.0.113."}

var acceptLanguage = [...]string{locEN: "en-US,en;q=0.9", locDE: "de-DE,de;q=0.9,en;q=0.8", locFR: "fr-FR,fr;q=0.9,en;q=0.7", locJP: "ja-JP,ja;q=0.9"}

var (
	gmailDomains  = []string{"gmail.com", "googlemail.com"}
	otherDomains  = []string{"example.com", "example.net", "example.org", "mail.example.com", "post.example.net", "inbox.example.org", "mailbox.example.com", "web.example.de", "free.example.fr"}
	otherCum      = cumulative(20, 15, 10, 10, 8, 6, 6, 4, 3)
	disposable    = []string{"mailinator.example.net", "tempmail.example.org", "trashmail.example.com", "10minute.example.net"}
	sharedJunk    = []string{"test@example.com", "noemail@example.com", "none@example.com", "asdf@example.com", "na@example.org"}
	typoDomains   = map[string][]string{"gmail.com": {"gmial.com", "gmail.con", "gmai.com", "gmail.co"}, "example.com": {"example.con", "exmaple.com", "example.cmo"}, "example.net": {"example.nte", "exampel.net"}, "example.org": {"example.ogr", "exmple.org"}}
	plusTags      = []string{"shop", "promo", "newsletter", "2024", "orders", "woo", "sale"}
	roleLocals    = []string{"info", "sales", "office", "contact", "admin", "orders"}
	cancelReasons = []string{"customer", "customer", "fraud", "inventory", "declined", "other"}
	refundReasons = []string{"Damaged in transit", "Wrong size", "Customer changed mind", "Item not as described", "", "Late delivery"}
	wooPayment    = [][2]string{{"stripe", "Credit Card (Stripe)"}, {"ppcp-gateway", "PayPal"}, {"bacs", "Direct bank transfer"}, {"cod", "Cash on delivery"}}
	shopGateways  = []string{"shopify_payments", "shopify_payments", "paypal", "manual"}
)
