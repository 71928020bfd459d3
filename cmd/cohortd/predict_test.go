package main

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// cdnowSample is the CDNOW sample of Fader, Hardie & Lee (2005); see its SOURCE.md.
const cdnowSample = "../../segments/predict/testdata/CDNOW_sample.txt"

var cdnowArgs = []string{"predict", "--transactions", cdnowSample, "--map", "customer=2,date=3,amount=5", "--no-header",
	"--calibration-end", "1997-09-30"}

type predictOutput struct {
	Transactions   int     `json:"transactions"`
	BadRows        int     `json:"bad_rows"`
	Customers      int     `json:"customers"`
	RepeatBuyers   int     `json:"repeat_buyers"`
	CalibrationEnd string  `json:"calibration_end"`
	FitMS          float64 `json:"fit_ms"`
	BGNBD          struct {
		OK                     bool
		Reason                 string
		R, Alpha, A, B, Loglik float64
	} `json:"bgnbd"`
	GammaGamma struct {
		OK          bool
		Reason      string
		P, Q, Gamma float64
	} `json:"gamma_gamma"`
}

func runPredictJSON(t *testing.T, args ...string) (predictOutput, result) {
	t.Helper()
	r := cohortd(t, append(args, "--json")...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var out predictOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v in %q", err, r.stdout)
	}
	return out, r
}

func near(got, want, rel float64) bool { return math.Abs(got-want) <= rel*math.Abs(want) }

// checkCDNOWFit asserts the published CDNOW estimates (FHL 2005; Fader & Hardie 2013).
func checkCDNOWFit(t *testing.T, out predictOutput) {
	t.Helper()
	bg, gg := out.BGNBD, out.GammaGamma
	if !bg.OK || !near(bg.R, 0.243, 0.005) || !near(bg.Alpha, 4.414, 0.005) || !near(bg.A, 0.793, 0.005) || !near(bg.B, 2.426, 0.005) ||
		math.Abs(bg.Loglik-(-9582.4)) > 0.1 {
		t.Errorf("BG/NBD %+v, want r 0.243 alpha 4.414 a 0.793 b 2.426 LL -9582.4", bg)
	}
	if !gg.OK || !near(gg.P, 6.25, 0.005) || !near(gg.Q, 3.74, 0.005) || !near(gg.Gamma, 15.44, 0.005) {
		t.Errorf("Gamma-Gamma %+v, want p 6.25 q 3.74 gamma 15.44", gg)
	}
}

func readPredictions(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "customer,x,t_x,T,monetary,p_alive,expected_purchases,clv" {
		t.Fatalf("header %v", rows[0])
	}
	m := map[string][]string{}
	for _, r := range rows[1:] {
		m[r[0]] = r
	}
	return m
}

func TestPredictCDNOW(t *testing.T) {
	dir := t.TempDir()
	outCSV := filepath.Join(dir, "pred.csv")
	// 273 days = 39 weeks, the horizon of the published customer-1 number; no discounting,
	// so CLV = E[Y(39)] × E[M].
	out, r := runPredictJSON(t, append(cdnowArgs, "--horizon-days", "273", "--discount-rate-monthly", "0", "--out", outCSV)...)
	if out.Transactions != 6919 || out.BadRows != 0 || out.Customers != 2357 || out.RepeatBuyers != 946 || out.CalibrationEnd != "1997-09-30" || !(out.FitMS > 0) {
		t.Errorf("counts %+v", out)
	}
	checkCDNOWFit(t, out)
	if !strings.Contains(r.stderr, "whitespace-separated") {
		t.Errorf("stderr %q does not say how the file was read", r.stderr)
	}
	preds := readPredictions(t, outCSV)
	if len(preds) != 2357 {
		t.Fatalf("%d prediction rows, want 2357", len(preds))
	}
	c1 := preds["0001"]
	val := func(i int) float64 {
		v, err := strconv.ParseFloat(c1[i], 64)
		if err != nil {
			t.Fatalf("customer 1 column %d: %q", i, c1[i])
		}
		return v
	}
	// x=2, t_x=30.43, T=38.86 (published), z̄ 22.35; E[Y(39)] 1.226 (Hardie's spreadsheet);
	// E[M] 24.65 (lifetimes tests of the Gamma-Gamma spreadsheet); P(alive) 0.7266 (our refit).
	if c1[1] != "2" || math.Abs(val(2)-30.43) > 0.005 || math.Abs(val(3)-38.86) > 0.005 || math.Abs(val(4)-22.35) > 0.01 {
		t.Errorf("customer 1 summary %v", c1)
	}
	if math.Abs(val(5)-0.7266) > 0.0005 || math.Abs(val(6)-1.226) > 0.001 || math.Abs(val(7)-1.226*24.65) > 0.15 {
		t.Errorf("customer 1 predictions %v: want p_alive 0.7266, expected 1.226, clv %.2f", c1, 1.226*24.65)
	}
	// Discounting only lowers the CLV; the default horizon (365 days) raises the expectation.
	_, _ = runPredictJSON(t, append(cdnowArgs, "--out", outCSV)...)
	d := readPredictions(t, outCSV)["0001"]
	if clv, _ := strconv.ParseFloat(d[7], 64); !(clv > val(7)) {
		t.Errorf("365-day CLV %s not above the 273-day %v", d[7], val(7))
	}
}

func TestPredictTextAndRefusal(t *testing.T) {
	r := cohortd(t, cdnowArgs...)
	if r.code != 0 || !strings.Contains(r.stdout, "BG/NBD:        r=0.2426 alpha=4.4136 a=0.7929 b=2.4259") ||
		!strings.Contains(r.stdout, "Gamma-Gamma:   p=6.2496 q=3.7442") {
		t.Errorf("exit %d, stdout %q", r.code, r.stdout)
	}
	// The first 60 transactions: about 20 customers, far too few repeat buyers.
	lines, err := os.ReadFile(cdnowSample)
	if err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(t.TempDir(), "small.txt")
	first60 := strings.SplitN(string(lines), "\n", 61)[:60]
	if err := os.WriteFile(small, []byte(strings.Join(first60, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	lastDate := ""
	for _, l := range first60 {
		lastDate = max(lastDate, strings.Fields(l)[2])
	}
	args := []string{"predict", "--transactions", small, "--map", "customer=2,date=3,amount=5", "--no-header"}
	out, _ := runPredictJSON(t, args...)
	if out.BGNBD.OK || !strings.Contains(out.BGNBD.Reason, "need at least 100 repeat buyers") ||
		out.GammaGamma.OK || !strings.Contains(out.GammaGamma.Reason, "need at least 100") {
		t.Errorf("small file: %+v", out)
	}
	// Without --calibration-end the whole history is calibration.
	if want := lastDate[:4] + "-" + lastDate[4:6] + "-" + lastDate[6:]; out.CalibrationEnd != want {
		t.Errorf("calibration end %q, want the last transaction date %s", out.CalibrationEnd, want)
	}
	r = cohortd(t, args...)
	if r.code != 0 || !strings.Contains(r.stdout, "BG/NBD:        not fitted: only") || !strings.Contains(r.stdout, "Gamma-Gamma:   not fitted: only") {
		t.Errorf("small file text: exit %d, %q", r.code, r.stdout)
	}
	// The JSON of a refusal holds only ok and reason.
	r = cohortd(t, append(args, "--json")...)
	var raw map[string]map[string]any
	_ = json.Unmarshal([]byte(r.stdout), &raw)
	if bg := raw["bgnbd"]; len(bg) != 2 || bg["ok"] != false {
		t.Errorf("refusal JSON %v", raw["bgnbd"])
	}
}

// TestPredictCSVGzipBadRows converts the sample to a gzipped CSV with a header and some broken
// rows: the broken rows are reported by line number and the fit is unchanged.
func TestPredictCSVGzipBadRows(t *testing.T) {
	in, err := os.Open(cdnowSample)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	path := filepath.Join(t.TempDir(), "orders.csv.gz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	fmt.Fprint(zw, "master_id,Customer ID,Order Date,cds,Total\n")
	sc := bufio.NewScanner(in)
	line := 1
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		date := fs[2][:4] + "-" + fs[2][4:6] + "-" + fs[2][6:]
		fmt.Fprintf(zw, "%s,%s,%s,%s,%s\n", fs[0], fs[1], date, fs[3], fs[4])
		line++
		switch line {
		case 3:
			fmt.Fprint(zw, "x,0001,1997-02-30,1,5\n") // line 4: no such date
			line++
		case 100:
			fmt.Fprint(zw, "x,0042,1997-03-01,1,twelve\n") // line 101
			fmt.Fprint(zw, "x,,1997-03-01,1,12\n")         // line 102
			line += 2
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out, r := runPredictJSON(t, "predict", "--transactions", path, "--map", "customer=Customer ID,date=order date,amount=total",
		"--calibration-end", "1997-09-30")
	if out.Transactions != 6919 || out.BadRows != 3 {
		t.Errorf("transactions %d, bad rows %d", out.Transactions, out.BadRows)
	}
	for _, want := range []string{"row 4 skipped: date", "row 101 skipped: amount \"twelve\"", "row 102 skipped: empty customer"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr %q lacks %q", r.stderr, want)
		}
	}
	checkCDNOWFit(t, out)
}

func TestPredictErrors(t *testing.T) {
	tmp := t.TempDir()
	junk := filepath.Join(tmp, "junk.csv")
	if err := os.WriteFile(junk, []byte("customer,date,amount\na,yesterday,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"predict"}, 2, "--transactions FILE is required"},
		{[]string{"predict", cdnowSample}, 2, "unexpected argument"},
		{[]string{"predict", "--transactions", cdnowSample, "--map", "email=2"}, 2, `unknown field "email"`},
		{[]string{"predict", "--transactions", cdnowSample, "--map", "customer=2,date=3,amount=5"}, 2, "the first line looks like data"},
		{[]string{"predict", "--transactions", cdnowSample, "--no-header"}, 2, "needs a column number"},
		{[]string{"predict", "--transactions", junk, "--calibration-end", "soon"}, 2, "--calibration-end"},
		{[]string{"predict", "--transactions", junk, "--horizon-days", "-1"}, 2, "--horizon-days"},
		{[]string{"predict", "--transactions", junk, "--separator", "pipe"}, 2, "--separator"},
		{[]string{"predict", "--transactions", filepath.Join(tmp, "missing.csv")}, 1, "no such file"},
		{[]string{"predict", "--transactions", junk}, 1, "no valid transactions"},
		{append(cdnowArgs[:len(cdnowArgs)-1:len(cdnowArgs)-1], "1990-01-01"), 1, "no customer bought on or before the calibration end 1990-01-01"},
	} {
		r := cohortd(t, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d with %q", c.args, r.code, r.stderr, c.code, c.msg)
		}
	}
}
