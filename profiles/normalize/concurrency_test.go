package normalize

import (
	"sync"
	"testing"
	"time"
)

// TestConcurrentUse runs every parser from several goroutines; with -race it checks that no
// parser shares mutable state.
func TestConcurrentUse(t *testing.T) {
	rates, err := NewRates("USD", nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				ParseEmail("J.Doe+x@GoogleMail.com")
				ParsePhone("+44 (0)20 7946 0958", "GB")
				ParseName("ludwig VAN beethoven")
				ParseCountry("Deutschland")
				ParseRegion("US", "california")
				m, _ := ParseMoney("1,234.50", "USD")
				_, _ = rates.Convert(m, time.Now())
				_, _ = ParseTime("2024-01-15 10:30:00 -0500", nil)
				ParseBirthDate("19081209")
			}
		}()
	}
	wg.Wait()
}
