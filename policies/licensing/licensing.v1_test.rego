# Unit tests of licensing.v1.rego, run by `fingate policy test` with licensing.v1.yaml's `data:`
# section as OPA data, so they test the logic and the table compliance ships together.
package fingate.licensing_test

import data.fingate.licensing.decision
import data.fingate.licensing.region_covers

today := "2026-11-29"

licence(type, from, to, regions) := {"id": "1", "type": type, "number": concat("-", [type, from]), "validFrom": from, "validTo": to, "regions": regions, "revoked": false}

revoked(l) := object.union(l, {"revoked": true})

holding(licences) := {"institution": {"id": "1", "name": "测试机构", "kind": "BANK"}, "licences": licences}

fund_sales := licence("FUND_SALES", "2020-01-01", null, ["000000"])

fund_management := licence("FUND_MANAGEMENT", "2011-01-01", null, ["000000"])

request(action, category, region, distributor, issuer) := {
	"principal": {"id": "c-1", "roles": ["customer"], "customerId": "1", "scopes": []},
	"purpose": null,
	"action": action,
	"resource": {"type": "Account", "id": "10", "attributes": {"customerId": "1"}},
	"args": {"input": {"productId": "5", "accountId": "10", "amount": "1000.00"}},
	"facts": {
		"product": {"id": "5", "category": category, "riskLevel": "R3", "status": "ONLINE"},
		"customer": {"id": "1", "region": region},
		"businessDay": {"date": today},
		"distributorLicences": holding(distributor),
		"issuerLicences": holding(issuer),
	},
	"now": "2026-11-29T02:00:00.000Z",
}

buy(distributor, issuer) := request("product.purchase", "FUND", "110000", distributor, issuer)

list(status, distributor, issuer) := object.union(request("product.changeStatus", "FUND", "110000", distributor, issuer), {
	"resource": {"type": "ProductStatusChange", "id": "1", "attributes": {"productId": "5", "toStatus": status}},
	"args": {"input": {"productId": "5", "status": status}},
	"facts": {"customer": null},
})

codes(result) := [r.code | some r in result.reasons]

test_licensed_sale_allows if {
	result := decision with input as buy([fund_sales], [fund_management])
	result.allow == true
	codes(result) == ["DISTRIBUTOR_LICENSED", "ISSUER_LICENSED"]
	result.reasons[0].regulation == data.categories.FUND.distributor.regulation
}

test_expired_yesterday_denies if {
	result := decision with input as buy([licence("FUND_SALES", "2020-01-01", "2026-11-28", ["000000"])], [fund_management])
	result.allow == false
	codes(result) == ["DISTRIBUTOR_LICENCE_EXPIRED"]
	result.reasons[0].regulation == data.categories.FUND.distributor.regulation
}

test_valid_through_today_allows if {
	result := decision with input as buy([licence("FUND_SALES", "2020-01-01", today, ["000000"])], [fund_management])
	result.allow == true
}

test_valid_from_today_allows if {
	result := decision with input as buy([licence("FUND_SALES", today, null, ["000000"])], [fund_management])
	result.allow == true
}

test_valid_from_tomorrow_denies if {
	result := decision with input as buy([licence("FUND_SALES", "2026-11-30", null, ["000000"])], [fund_management])
	codes(result) == ["DISTRIBUTOR_LICENCE_NOT_YET_VALID"]
}

test_revoked_denies if {
	result := decision with input as buy([revoked(fund_sales)], [fund_management])
	codes(result) == ["DISTRIBUTOR_LICENCE_REVOKED"]
}

test_wrong_licence_type_is_missing if {
	result := decision with input as buy([licence("WEALTH_MANAGEMENT", "2020-01-01", null, ["000000"])], [fund_management])
	codes(result) == ["DISTRIBUTOR_LICENCE_MISSING"]
}

test_wrong_region_denies_citing_the_region_rule if {
	result := decision with input as buy([licence("FUND_SALES", "2020-01-01", null, ["530000"])], [fund_management])
	codes(result) == ["DISTRIBUTOR_LICENCE_REGION_NOT_COVERED"]
	contains(result.reasons[0].regulation, data.regulations.region)
}

test_issuer_unlicensed_denies if {
	result := decision with input as buy([fund_sales], [fund_sales])
	codes(result) == ["ISSUER_LICENCE_MISSING"]
	result.reasons[0].regulation == data.categories.FUND.issuer.regulation
}

test_issuer_region_is_not_the_customers_business if {
	result := decision with input as buy([fund_sales], [licence("FUND_MANAGEMENT", "2011-01-01", null, ["310000"])])
	result.allow == true
}

test_redemption_never_refused if {
	result := decision with input as request("product.redeem", "FUND", "110000", [revoked(fund_sales)], [])
	result.allow == true
	codes(result) == ["REDEMPTION_NOT_RESTRICTED"]
}

test_listing_checks_validity_not_region if {
	decision.allow with input as list("ONLINE", [licence("FUND_SALES", "2020-01-01", null, ["530000"])], [fund_management])
	codes(decision) == ["DISTRIBUTOR_LICENCE_REVOKED"] with input as list("ONLINE", [revoked(fund_sales)], [fund_management])
}

test_suspending_needs_no_licence if {
	result := decision with input as list("SUSPENDED", [revoked(fund_sales)], [])
	codes(result) == ["LICENCE_NOT_NEEDED"]
}

test_unknown_category_denies if {
	result := decision with input as request("product.purchase", "CRYPTO", "110000", [fund_sales], [fund_management])
	codes(result) == ["NO_LICENCE_REQUIREMENT"]
	result.reasons[0].regulation == data.regulations.principle
}

test_missing_region_denies if {
	result := decision with input as object.union(buy([fund_sales], [fund_management]), {"facts": {"customer": null}})
	codes(result) == ["LICENSING_FACTS_MISSING"]
	result.reasons[0].regulation == data.regulations.principle
}

test_region_codes if {
	region_covers("000000", "530102")
	region_covers("310000", "310000")
	region_covers("310000", "310104")
	region_covers("310100", "310104")
	region_covers("310104", "310104")
	not region_covers("310000", "320000")
	not region_covers("310100", "310200")
	not region_covers("310104", "310105")
	not region_covers("110000", "011000")
}
