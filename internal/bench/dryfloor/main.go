// Command dryfloor is the floor hmpsh's dry-run is measured against: a
// plain Go program that reads "migrate [-d] -c socket,type=inet,host=H,port=P"
// lines, splits them with the standard library and prints the same QMP
// hmpsh --dry-run prints, through encoding/json. It knows that one shape
// of line and nothing else (no schema, no checks): what is left when all
// of hmpsh's generality is taken away. make bench runs both on the same
// input and prints the ratio.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

type inetAddr struct {
	Transport string `json:"transport"`
	Type      string `json:"type"`
	Host      string `json:"host"`
	Port      string `json:"port"`
}

type channel struct {
	ChannelType string   `json:"channel-type"`
	Addr        inetAddr `json:"addr"`
}

type request struct {
	Execute   string `json:"execute"`
	Arguments struct {
		Channels []channel `json:"channels"`
	} `json:"arguments"`
}

func main() {
	in := os.Stdin
	if len(os.Args) > 1 {
		f, err := os.Open(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer f.Close()
		in = f
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	sc := bufio.NewScanner(in)
	n := 0
	for sc.Scan() {
		n++
		if err := line(out, sc.Text()); err != nil {
			out.Flush()
			fmt.Fprintf(os.Stderr, "%d: %v\n", n, err)
			os.Exit(1)
		}
	}
}

func line(out *bufio.Writer, text string) error {
	words := strings.Fields(text)
	if len(words) == 0 || words[0] != "migrate" {
		return fmt.Errorf("not a migrate line")
	}
	var spec string
	for i := 1; i < len(words); i++ {
		switch words[i] {
		case "-d":
		case "-c":
			if i+1 == len(words) {
				return fmt.Errorf("-c needs a value")
			}
			i++
			spec = words[i]
		default:
			return fmt.Errorf("unexpected %q", words[i])
		}
	}
	var a inetAddr
	for i, kv := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok && i == 0 {
			k, v = "transport", kv
		}
		switch k {
		case "transport":
			a.Transport = v
		case "type":
			a.Type = v
		case "host":
			a.Host = v
		case "port":
			a.Port = v
		default:
			return fmt.Errorf("unknown key %q", k)
		}
	}
	var r request
	r.Execute = "migrate"
	r.Arguments.Channels = []channel{{ChannelType: "main", Addr: a}}
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	out.Write(data)
	return out.WriteByte('\n')
}
