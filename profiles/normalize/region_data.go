package normalize

// regionRow is one ISO 3166-2 subdivision: the code suffix after "CC-" and its English (or,
// for Germany, German) name, plus extra spellings matched by ParseRegion.
type regionRow struct {
	code, name string
	aliases    []string
}

// regions holds the ISO 3166-2 subdivisions cohortd resolves, from memory of ISO 3166-2:
// US states, DC and the outlying areas; Canadian provinces and territories; Australian states
// and territories; the four countries of the United Kingdom (GB-ENG, GB-SCT, GB-WLS, GB-NIR);
// the 16 German Länder.
var regions = map[string][]regionRow{
	"US": {
		{"AL", "Alabama", []string{"Ala"}}, {"AK", "Alaska", nil}, {"AZ", "Arizona", []string{"Ariz"}},
		{"AR", "Arkansas", []string{"Ark"}}, {"CA", "California", []string{"Calif", "Cal"}},
		{"CO", "Colorado", []string{"Colo"}}, {"CT", "Connecticut", []string{"Conn"}},
		{"DE", "Delaware", []string{"Del"}}, {"FL", "Florida", []string{"Fla"}},
		{"GA", "Georgia", nil}, {"HI", "Hawaii", []string{"Hawai'i"}}, {"ID", "Idaho", nil},
		{"IL", "Illinois", []string{"Ill"}}, {"IN", "Indiana", []string{"Ind"}}, {"IA", "Iowa", nil},
		{"KS", "Kansas", []string{"Kan", "Kans"}}, {"KY", "Kentucky", nil}, {"LA", "Louisiana", nil},
		{"ME", "Maine", nil}, {"MD", "Maryland", nil}, {"MA", "Massachusetts", []string{"Mass"}},
		{"MI", "Michigan", []string{"Mich"}}, {"MN", "Minnesota", []string{"Minn"}},
		{"MS", "Mississippi", []string{"Miss"}}, {"MO", "Missouri", nil},
		{"MT", "Montana", []string{"Mont"}}, {"NE", "Nebraska", []string{"Neb", "Nebr"}},
		{"NV", "Nevada", []string{"Nev"}}, {"NH", "New Hampshire", nil}, {"NJ", "New Jersey", nil},
		{"NM", "New Mexico", nil}, {"NY", "New York", []string{"New York State"}},
		{"NC", "North Carolina", nil}, {"ND", "North Dakota", nil}, {"OH", "Ohio", nil},
		{"OK", "Oklahoma", []string{"Okla"}}, {"OR", "Oregon", []string{"Ore"}},
		{"PA", "Pennsylvania", []string{"Penn", "Penna"}}, {"RI", "Rhode Island", nil},
		{"SC", "South Carolina", nil}, {"SD", "South Dakota", nil}, {"TN", "Tennessee", []string{"Tenn"}},
		{"TX", "Texas", []string{"Tex"}}, {"UT", "Utah", nil}, {"VT", "Vermont", nil},
		{"VA", "Virginia", nil}, {"WA", "Washington", []string{"Wash", "Washington State"}},
		{"WV", "West Virginia", nil}, {"WI", "Wisconsin", []string{"Wis", "Wisc"}},
		{"WY", "Wyoming", nil},
		{"DC", "District of Columbia", []string{"Washington DC", "Washington, D.C.", "D.C."}},
		{"AS", "American Samoa", nil}, {"GU", "Guam", nil},
		{"MP", "Northern Mariana Islands", nil}, {"PR", "Puerto Rico", nil},
		{"UM", "United States Minor Outlying Islands", nil},
		{"VI", "Virgin Islands, U.S.", []string{"U.S. Virgin Islands", "US Virgin Islands"}},
	},
	"CA": {
		{"AB", "Alberta", nil}, {"BC", "British Columbia", []string{"Colombie-Britannique"}},
		{"MB", "Manitoba", nil}, {"NB", "New Brunswick", []string{"Nouveau-Brunswick"}},
		{"NL", "Newfoundland and Labrador", []string{"Newfoundland", "Terre-Neuve-et-Labrador", "NF"}},
		{"NS", "Nova Scotia", []string{"Nouvelle-Écosse"}}, {"ON", "Ontario", nil},
		{"PE", "Prince Edward Island", []string{"PEI", "Île-du-Prince-Édouard"}},
		{"QC", "Quebec", []string{"Québec", "PQ"}}, {"SK", "Saskatchewan", nil},
		{"NT", "Northwest Territories", []string{"Territoires du Nord-Ouest"}},
		{"NU", "Nunavut", nil}, {"YT", "Yukon", []string{"Yukon Territory"}},
	},
	"AU": {
		{"NSW", "New South Wales", nil}, {"VIC", "Victoria", nil}, {"QLD", "Queensland", nil},
		{"SA", "South Australia", nil}, {"WA", "Western Australia", nil},
		{"TAS", "Tasmania", nil}, {"NT", "Northern Territory", nil},
		{"ACT", "Australian Capital Territory", nil},
	},
	"GB": {
		{"ENG", "England", nil}, {"SCT", "Scotland", nil}, {"WLS", "Wales", []string{"Cymru"}},
		{"NIR", "Northern Ireland", nil},
	},
	"DE": {
		{"BW", "Baden-Württemberg", nil}, {"BY", "Bayern", []string{"Bavaria"}},
		{"BE", "Berlin", nil}, {"BB", "Brandenburg", nil}, {"HB", "Bremen", nil},
		{"HH", "Hamburg", nil}, {"HE", "Hessen", []string{"Hesse"}},
		{"MV", "Mecklenburg-Vorpommern", []string{"Mecklenburg-Western Pomerania"}},
		{"NI", "Niedersachsen", []string{"Lower Saxony"}},
		{"NW", "Nordrhein-Westfalen", []string{"North Rhine-Westphalia", "NRW"}},
		{"RP", "Rheinland-Pfalz", []string{"Rhineland-Palatinate"}},
		{"SL", "Saarland", nil}, {"SN", "Sachsen", []string{"Saxony"}},
		{"ST", "Sachsen-Anhalt", []string{"Saxony-Anhalt"}},
		{"SH", "Schleswig-Holstein", nil}, {"TH", "Thüringen", []string{"Thuringia"}},
	},
}
