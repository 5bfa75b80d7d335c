# Disclosure (信息披露与风险揭示), version 1: has the customer acknowledged what they must read before
# buying, and is it published before the product goes on sale?
#
# Input: the request the gate sends (plugins/disclosure.ts): input.action; for a status change
# input.args.input.status; input.facts.product { category }, and input.facts.currentDisclosures:
# the newest published version of each kind of the product's disclosures, [{ globalId, kind,
# version, title, sha256, acknowledgement: { at, sha256 } | null }], the acknowledgement being
# the acting customer's of that very version, with the sha256 of the content it acknowledged.
# Data: the `data:` section of disclosure.v1.yaml (principle, purchase, listing, kinds).
# Sources: ../shared/reference/regulations.md section 5.
package fingate.disclosure

# The single entrypoint: the first rule of this chain whose conditions hold decides.
decision := result if {
	input.action == "product.changeStatus"
	not target_status in data.listing.statuses
	result := allow([reason("DISCLOSURE_NOT_NEEDED", concat("", ["moving a product to ", target_status, " needs no disclosure"]), null)])
} else := result if {
	not facts_complete
	# nothing shown to have been read, nothing sold
	result := deny([reason("DISCLOSURE_FACTS_MISSING", "the product or its disclosures are missing, so disclosure cannot be judged", data.principle)])
} else := result if {
	# a required kind with no published version: nothing to read, so nothing may be sold or listed
	count(unpublished) > 0
	result := deny([reason(
		"DISCLOSURE_NOT_PUBLISHED",
		concat("", ["the product has no published ", name(kind), " (", kind, "), so it cannot be ", doing]),
		data.kinds[kind].regulation,
	) | some kind in unpublished])
} else := result if {
	input.action == "product.purchase"
	count(unacknowledged) > 0
	result := deny([reason("DISCLOSURE_NOT_ACKNOWLEDGED", not_acknowledged(d), data.kinds[d.kind].regulation) | some d in unacknowledged])
} else := result if {
	input.action == "product.purchase"
	result := allow([reason("DISCLOSURE_ACKNOWLEDGED", concat("", ["the customer acknowledged ", label(current[kind])]), data.kinds[kind].regulation) | some kind in required])
} else := allow([reason("DISCLOSURE_PUBLISHED", concat("", [label(current[kind]), " is published"]), data.kinds[kind].regulation) | some kind in required])

product := input.facts.product

target_status := input.args.input.status

facts_complete if {
	is_string(product.category)
	is_array(input.facts.currentDisclosures)
}

# The kinds this request needs: a purchase, those of the product's category; a listing, the listing's.
required := data.purchase.categories[product.category] if {
	input.action == "product.purchase"
} else := data.purchase.default if {
	input.action == "product.purchase"
} else := data.listing.kinds

doing := "sold" if {
	input.action == "product.purchase"
} else := concat("", ["moved to ", target_status])

# The current (newest published) version of each kind.
current := {d.kind: d | some d in input.facts.currentDisclosures}

unpublished := [kind | some kind in required; not current[kind]]

unacknowledged := [current[kind] | some kind in required; not acknowledged(current[kind])]

# Acknowledged: this version, and the content acknowledged is the content published.
acknowledged(d) if {
	is_string(d.sha256)
	d.acknowledgement.sha256 == d.sha256
}

not_acknowledged(d) := concat("", [
	"the customer has not acknowledged the current ", label(d), "; acknowledge it (acknowledgeDisclosure, disclosureId ",
	d.globalId, ") before buying",
]) if {
	not is_object(d.acknowledgement)
} else := concat("", [
	"the customer's acknowledgement of ", label(d), " records other content than was published; acknowledge it again (disclosureId ",
	d.globalId, ")",
])

label(d) := concat("", [name(d.kind), " 《", d.title, "》 (", d.kind, " version ", format_int(d.version, 10), ")"])

name(kind) := data.kinds[kind].name

reason(code, message, regulation) := {"code": code, "message": message, "regulation": regulation}

allow(reasons) := {"allow": true, "reasons": reasons, "obligations": {}}

deny(reasons) := {"allow": false, "reasons": reasons, "obligations": {}}
