// The golang-jwt v4 adapter (adapters/go/main.go) built against github.com/golang-jwt/jwt/v4
// v4.5.2 from the Go module proxy, for fixtures/cve/ (adapters/setup.sh versions copies main.go
// beside this file with the module's import path).
module jwt-harness/adapters/golang-jwt-v4.5.2

go 1.21

require github.com/golang-jwt/jwt/v4 v4.5.2
