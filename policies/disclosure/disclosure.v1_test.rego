# Unit tests of disclosure.v1.rego, run by `fingate policy test` with disclosure.v1.yaml's `data:`
# section as OPA data, so they test the logic and the kinds compliance ships together.
package fingate.disclosure_test

import data.fingate.disclosure.decision

disclosure(kind, version, sha, acknowledged_sha) := {
	"id": "17",
	"globalId": "RGlzY2xvc3VyZToxNw",
	"kind": kind,
	"version": version,
	"title": "风险揭示书",
	"sha256": sha,
	"publishedAt": "2026-06-01T00:00:00.000Z",
	"acknowledgement": acknowledgement(acknowledged_sha),
}

acknowledgement(sha) := null if {
	sha == null
} else := {"at": "2026-07-01T00:00:00.000Z", "sha256": sha}

request(action, category, disclosures) := {
	"principal": {"id": "c-1", "roles": ["customer"], "customerId": "1", "scopes": []},
	"purpose": null,
	"action": action,
	"resource": {"type": "Account", "id": "10", "attributes": {"customerId": "1"}},
	"args": {"input": {"productId": "5", "accountId": "10", "amount": "1000.00", "status": "ONLINE"}},
	"facts": {"product": {"id": "5", "category": category, "riskLevel": "R3", "status": "ONLINE"}, "currentDisclosures": disclosures},
	"now": "2026-11-29T02:00:00.000Z",
}

buy(category, disclosures) := request("product.purchase", category, disclosures)

codes(result) := [r.code | some r in result.reasons]

test_acknowledged_current_version_allows if {
	result := decision with input as buy("FUND", [disclosure("RISK_DISCLOSURE", 2, "aa", "aa")])
	result.allow == true
	codes(result) == ["DISCLOSURE_ACKNOWLEDGED"]
	result.reasons[0].regulation == data.kinds.RISK_DISCLOSURE.regulation
}

test_unacknowledged_denies_naming_the_disclosure if {
	result := decision with input as buy("FUND", [disclosure("RISK_DISCLOSURE", 2, "aa", null)])
	result.allow == false
	codes(result) == ["DISCLOSURE_NOT_ACKNOWLEDGED"]
	contains(result.reasons[0].message, "RGlzY2xvc3VyZToxNw")
	contains(result.reasons[0].message, "version 2")
	result.reasons[0].regulation == data.kinds.RISK_DISCLOSURE.regulation
}

test_other_content_denies if {
	result := decision with input as buy("FUND", [disclosure("RISK_DISCLOSURE", 1, "aa", "bb")])
	codes(result) == ["DISCLOSURE_NOT_ACKNOWLEDGED"]
}

test_wealth_management_needs_the_prospectus_too if {
	result := decision with input as buy("WEALTH_MANAGEMENT", [disclosure("RISK_DISCLOSURE", 1, "aa", "aa"), disclosure("PROSPECTUS", 1, "bb", null)])
	codes(result) == ["DISCLOSURE_NOT_ACKNOWLEDGED"]
	result.reasons[0].regulation == data.kinds.PROSPECTUS.regulation
}

test_unpublished_denies if {
	result := decision with input as buy("FUND", [disclosure("PROSPECTUS", 1, "bb", "bb")])
	codes(result) == ["DISCLOSURE_NOT_PUBLISHED"]
}

test_listing_needs_a_published_risk_disclosure if {
	codes(decision) == ["DISCLOSURE_NOT_PUBLISHED"] with input as request("product.changeStatus", "FUND", [])
	decision.allow with input as request("product.changeStatus", "FUND", [disclosure("RISK_DISCLOSURE", 1, "aa", null)])
}

test_other_status_changes_need_nothing if {
	suspend := object.union(request("product.changeStatus", "FUND", []), {"args": {"input": {"status": "SUSPENDED"}}})
	codes(decision) == ["DISCLOSURE_NOT_NEEDED"] with input as suspend
}

test_missing_facts_denies if {
	result := decision with input as buy("FUND", null)
	codes(result) == ["DISCLOSURE_FACTS_MISSING"]
	result.reasons[0].regulation == data.principle
}
