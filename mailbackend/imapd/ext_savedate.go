package imapd

import (
	"time"
)

// SAVEDATE (RFC 8514): when a message was saved into its mailbox (delivered,
// APPENDed, or COPYd/MOVEd there: section 3), which the store records with each
// message. Every mailbox keeps save dates, so SAVEDATESUPPORTED matches every
// message. A message stored before the store kept save dates has its internal
// date instead, in FETCH and SEARCH alike: for delivered mail that is when it
// arrived, the closest thing to a save date there is.
func init() {
	extraCapabilities = append(extraCapabilities, "SAVEDATE")
	fetchAtts["SAVEDATE"] = func(c *cmd, req *fetchRequest) error {
		addFetchItem(req, "SAVEDATE", func(fc *fetchContext) error {
			fc.w.Raw("SAVEDATE ").DateTime(saveDate(fc.msg)) // section 4.1
			return nil
		})
		return nil
	}
	// Section 4.2: SAVEDBEFORE, SAVEDON and SAVEDSINCE compare the date alone,
	// disregarding time and timezone, as BEFORE, ON and SINCE do.
	for name, keep := range map[string]func(saved, day time.Time) bool{
		"SAVEDBEFORE": func(saved, day time.Time) bool { return saved.Before(day) },
		"SAVEDON":     func(saved, day time.Time) bool { return saved.Equal(day) },
		"SAVEDSINCE":  func(saved, day time.Time) bool { return !saved.Before(day) },
	} {
		searchKeys[name] = func(c *cmd, k *searchKey) error {
			if err := c.sp(); err != nil {
				return err
			}
			day, err := c.searchDate()
			if err != nil {
				return err
			}
			k.ext = append(k.ext, searchPredicate{needMeta: true, match: func(_ *searcher, _ int, _ uint32, m *msgMeta) bool {
				return m != nil && keep(dateOf(saveDate(m)), day)
			}})
			return nil
		}
	}
	searchKeys["SAVEDATESUPPORTED"] = func(c *cmd, k *searchKey) error {
		k.all = true // every mailbox here keeps save dates (section 4.3)
		return nil
	}
}

// saveDate is the message's save date, or its internal date when the store did
// not record one.
func saveDate(m *msgMeta) time.Time {
	if m.saved.IsZero() {
		return m.date
	}
	return m.saved
}
