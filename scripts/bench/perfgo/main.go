// perfgo: reads `perf script` output on stdin, names frames of a stripped Go binary from its
// .gopclntab, and prints self and inclusive sample shares per function (per process name).
package main

import (
	"bufio"
	"debug/elf"
	"debug/gosym"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

func main() {
	bin := flag.String("bin", "/usr/local/bin/terraform", "Go binary to name frames of")
	top := flag.Int("top", 40, "rows to print")
	only := flag.String("comm", "", "only samples of this comm")
	base := flag.Uint64("base", 0x400000, "added to the map-relative addresses perf script prints")
	flag.Parse()
	f, err := elf.Open(*bin)
	if err != nil {
		panic(err)
	}
	pcln, err := f.Section(".gopclntab").Data()
	if err != nil {
		panic(err)
	}
	// Go 1.20+ tables (magic 0xfffffff1) are laid out as 1.18's; this Go 1.19 reads only the latter.
	if len(pcln) > 4 && pcln[0] == 0xf1 && pcln[1] == 0xff && pcln[2] == 0xff && pcln[3] == 0xff {
		pcln[0] = 0xf0
	}
	text := f.Section(".text").Addr
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(pcln, text))
	if err != nil {
		panic(err)
	}
	name := func(line string) string {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			return "?"
		}
		sym := strings.Join(fields[1:len(fields)-1], " ")
		dso := fields[len(fields)-1]
		if strings.Contains(dso, *bin) || strings.HasPrefix(sym, "[unknown]") {
			if pc, err := strconv.ParseUint(fields[0], 16, 64); err == nil {
				pc += *base
				if fn := tab.PCToFunc(pc); fn != nil {
					return fn.Name
				}
			}
		}
		if i := strings.LastIndex(sym, "+0x"); i > 0 {
			sym = sym[:i]
		}
		return sym + " " + dso
	}
	self := map[string]int{}
	incl := map[string]int{}
	comms := map[string]int{}
	total := 0
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var comm string
	var frames []string
	flush := func() {
		if comm == "" {
			return
		}
		comms[comm]++
		if *only == "" || comm == *only {
			total++
			seen := map[string]bool{}
			for i, fr := range frames {
				if i == 0 {
					self[fr]++
				}
				if !seen[fr] {
					seen[fr] = true
					incl[fr]++
				}
			}
		}
		comm, frames = "", nil
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			flush()
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			flush()
			comm = strings.Fields(line)[0]
			continue
		}
		frames = append(frames, name(strings.TrimSpace(line)))
	}
	flush()
	fmt.Println("samples per comm:")
	for c, n := range comms {
		fmt.Printf("  %-20s %d\n", c, n)
	}
	pr := func(title string, m map[string]int) {
		type kv struct {
			k string
			v int
		}
		var rows []kv
		for k, v := range m {
			rows = append(rows, kv{k, v})
		}
		sort.Slice(rows, func(i, j int) bool { return rows[i].v > rows[j].v })
		fmt.Printf("%s (of %d samples):\n", title, total)
		for i, r := range rows {
			if i >= *top {
				break
			}
			fmt.Printf("  %5.1f%%\t%d\t%s\n", 100*float64(r.v)/float64(total), r.v, r.k)
		}
	}
	pr("self", self)
	pr("inclusive", incl)
}
