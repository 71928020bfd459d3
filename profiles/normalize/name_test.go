package normalize

import (
	"strings"
	"testing"
)

func TestFormatPersonName(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"  jane   doe ", "Jane Doe"},
		{"JANE DOE", "Jane Doe"},
		{"Jane doe", "Jane Doe"},
		{"McDonald", "McDonald"},
		{"MCDONALD", "McDonald"},
		{"mcdonald", "McDonald"},
		{"Mcdonald", "Mcdonald"},
		{"MACK", "Mack"},
		{"leonardo DiCaprio", "Leonardo DiCaprio"},
		{"ludwig VAN beethoven", "Ludwig van Beethoven"},
		{"VAN HALEN", "Van Halen"},
		{"dick Van dyke", "Dick Van Dyke"},
		{"maria DE LA CRUZ", "Maria de la Cruz"},
		{"DE LA CRUZ", "De la Cruz"},
		{"o'brien", "O'Brien"},
		{"O'BRIEN", "O'Brien"},
		{"o’brien", "O’Brien"},
		{"jean-luc picard", "Jean-Luc Picard"},
		{"JEAN-LUC", "Jean-Luc"},
		{"d'artagnan", "d'Artagnan"},
		{"D'ARTAGNAN", "d'Artagnan"},
		{"D'Angelo", "D'Angelo"},
		{"charles d'artagnan", "Charles d'Artagnan"},
		{"osama BIN laden", "Osama bin Laden"},
		{"ÉMILE ZOLA", "Émile Zola"},
		{"иван петров", "Иван Петров"},
		{"ИВАН ПЕТРОВ", "Иван Петров"},
		{"山田 太郎", "山田 太郎"},
		{"محمد علي", "محمد علي"},
		{"j.r.r. tolkien", "J.r.r. Tolkien"},
		{"", ""},
		{"   ", ""},
	}
	for _, tt := range tests {
		if got := FormatPersonName(tt.raw); got != tt.want {
			t.Errorf("FormatPersonName(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestParseName(t *testing.T) {
	tests := []struct{ raw, display, key string }{
		{"José  O'Brien", "José O'Brien", "jose o brien"},
		{"JOSE OBRIEN", "Jose Obrien", "jose obrien"},
		{"Zoë-Ann Müller", "Zoë-Ann Müller", "zoe ann muller"},
		{" Ｊａｎｅ ", "Ｊａｎｅ", "jane"},
		{"Jane 2nd", "Jane 2nd", "jane nd"},
		{"İSTANBUL", "Istanbul", "istanbul"},
		{"山田 太郎", "山田 太郎", "山田 太郎"},
		{"--", "--", ""},
		{"Straße", "Straße", "strasse"},
		{"STRASSE", "Strasse", "strasse"},
	}
	for _, tt := range tests {
		got := ParseName(tt.raw)
		if got.Display != tt.display || got.Key != tt.key {
			t.Errorf("ParseName(%q) = %+v, want display %q key %q", tt.raw, got, tt.display, tt.key)
		}
	}
}

func FuzzParseName(f *testing.F) {
	for _, s := range []string{
		"jane doe", "MCDONALD", "D'ARTAGNAN", "ludwig VAN beethoven", "jean-luc", "İSTANBUL",
		"ǅ", "ß", "ΣΑΣ", "ﬃ", "o'", "'", "-", "mc", "Ǆemal", "ÅSA", "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		n := ParseName(raw)
		if d := FormatPersonName(n.Display); d != n.Display {
			t.Fatalf("FormatPersonName not idempotent: %q -> %q -> %q", raw, n.Display, d)
		}
		if k := NameKey(n.Key); k != n.Key {
			t.Fatalf("NameKey not idempotent: %q -> %q -> %q", raw, n.Key, k)
		}
		if n.Display != strings.Join(strings.Fields(n.Display), " ") {
			t.Fatalf("display has untidy whitespace: %q", n.Display)
		}
		if strings.HasPrefix(n.Key, " ") || strings.HasSuffix(n.Key, " ") || strings.Contains(n.Key, "  ") {
			t.Fatalf("key has untidy spaces: %q", n.Key)
		}
	})
}
