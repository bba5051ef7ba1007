package main

import rego.v1

deny contains msg if {
	some rc in input.resource_changes
	certs := crypto.x509.parse_certificates(rc.change.after.input.cert)
	count(certs) > 0
	msg := "certificate found"
}
