package libvirt

// -update is accepted here too: go test ./... -update.
import _ "github.com/hmpsh/hmpsh/internal/update"
