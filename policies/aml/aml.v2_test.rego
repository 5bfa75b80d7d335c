# Unit tests of aml.v2.rego, run by `fingate policy test` with aml.v2.yaml's `data:` section as OPA
# data, so they test the logic and the numbers compliance ships together.
package fingate.aml_test

import data.fingate.aml.decision

# Sunday 2026-11-29 10:00 in Beijing: the working days after it are Mon 30 Nov … Fri 4 Dec, Mon 7 Dec;
# the calendar reaches Tue 8 Dec
now := "2026-11-29T02:00:00.000Z"

calendar := {"weekday": 7, "days": [
	"2026-11-29T00:00:00+08:00",
	"2026-11-30T00:00:00+08:00",
	"2026-12-01T00:00:00+08:00",
	"2026-12-02T00:00:00+08:00",
	"2026-12-03T00:00:00+08:00",
	"2026-12-04T00:00:00+08:00",
	"2026-12-05T00:00:00+08:00",
	"2026-12-06T00:00:00+08:00",
	"2026-12-07T00:00:00+08:00",
	"2026-12-08T00:00:00+08:00",
]}

movement(action, amount, activity) := {
	"principal": {"id": "c-1", "roles": ["customer"], "customerId": "1", "scopes": []},
	"purpose": null,
	"action": action,
	"resource": {"type": "Account", "id": "10", "attributes": {"customerId": "1"}},
	"args": {"input": {"amount": amount}},
	"facts": {"amlActivity": activity, "businessCalendar": calendar},
	"now": now,
}

activity(today, own, receiver) := {"currency": "CNY", "customer": {"id": "1", "today": today, "own": own}, "receiver": receiver}

# how many of the customer's own movements are younger than each window, and today's amounts per side
own(within_an_hour, today_amounts) := {
	"within": {"5": 0, "10": 0, "15": 0, "30": 0, "60": within_an_hour, "120": within_an_hour, "240": within_an_hour, "1440": within_an_hour},
	"todayAmounts": today_amounts,
}

quiet := activity({}, own(0, {}), null)

transfer_to(receiver_today) := activity({}, own(0, {}), {"id": "2", "today": receiver_today})

alerts(result) := [a | some a in object.get(result.obligations, "alerts", [])]

rules(result) := [a.rule | some a in alerts(result)]

test_a_quiet_movement_is_allowed_without_alerts if {
	result := decision with input as movement("account.transfer", "100.00", quiet)
	result.allow == true
	result.reasons[0].code == "AML_SCREENED"
	result.obligations == {}
}

test_a_single_transfer_at_the_threshold_is_large_value_on_the_senders_outgoing_side if {
	result := decision with input as movement("account.transfer", "500000.00", quiet)
	rules(result) == ["0503:OUTGOING"]
	alerts(result)[0].kind == "LARGE_VALUE"
}

test_a_cent_below_the_threshold_is_not if {
	result := decision with input as movement("account.transfer", "499999.99", quiet)
	rules(result) == []
}

test_the_receivers_incoming_side_is_totalled_apart if {
	# the receiver's deposits of the day and this transfer reach ¥500,000 on their incoming side
	today := {"INCOMING": {"DEPOSIT": {"total": "400000.00", "count": 1}}}
	result := decision with input as movement("account.transfer", "100000.00", transfer_to(today))
	rules(result) == ["0503:INCOMING"]
}

test_sides_are_never_netted if {
	# ¥300,000 went out earlier and ¥300,000 came in: neither side has reached ¥500,000 with this ¥100,000
	today := {"OUTGOING": {"PURCHASE": {"total": "300000.00", "count": 1}}, "INCOMING": {"REDEMPTION": {"total": "300000.00", "count": 1}}}
	result := decision with input as movement("product.purchase", "100000.00", activity(today, own(0, {}), null))
	rules(result) == []
	reached := decision with input as movement("product.purchase", "200000.00", activity(today, own(0, {}), null))
	rules(reached) == ["0503:OUTGOING"]
}

test_a_redemption_counts_on_the_incoming_side if {
	today := {"INCOMING": {"TRANSFER": {"total": "499999.99", "count": 2}}, "OUTGOING": {"TRANSFER": {"total": "900000.00", "count": 2}}}
	result := decision with input as movement("product.redeem", "0.01", activity(today, own(0, {}), null))
	rules(result) == ["0503:INCOMING"]
	contains(alerts(result)[0].reason, "当日入账累计CNY 500000.00")
}

test_the_deadline_is_the_end_of_the_fifth_working_day_after_the_business_day if {
	result := decision with input as movement("account.transfer", "500000.00", quiet)
	alerts(result)[0].dueAt == "2026-12-05T00:00:00+08:00"
}

test_a_holiday_moves_the_deadline if {
	result := decision with input as movement("account.transfer", "500000.00", quiet)
		with data.calendar.holidays as ["2026-12-01"]
	alerts(result)[0].dueAt == "2026-12-08T00:00:00+08:00"
}

test_a_deadline_beyond_the_calendar_is_null if {
	result := decision with input as movement("account.transfer", "500000.00", quiet)
		with data.largeValue.reportWorkingDays as 7
	alerts(result)[0].dueAt == null
}

test_the_tenth_movement_within_an_hour_is_high_frequency if {
	result := decision with input as movement("account.transfer", "10.00", activity({}, own(9, {}), null))
	rules(result) == ["AML-HF-01:OUTGOING"]
	alerts(result)[0].kind == "HIGH_FREQUENCY"
}

test_movements_older_than_the_window_do_not_count if {
	# nine within the day, none within the hour
	nine_today := {"within": {"5": 0, "10": 0, "15": 0, "30": 0, "60": 0, "120": 0, "240": 9, "1440": 9}, "todayAmounts": {}}
	result := decision with input as movement("account.transfer", "10.00", activity({}, nine_today, null))
	rules(result) == []
}

test_the_eleventh_raises_no_second_high_frequency_alert if {
	result := decision with input as movement("account.transfer", "10.00", activity({}, own(10, {}), null))
	rules(result) == []
}

test_the_window_is_the_datas if {
	result := decision with input as movement("account.transfer", "10.00", activity({}, own(0, {}), null))
		with data.highFrequency.withinMinutes as 1440
		with data.highFrequency.movements as 1
	rules(result) == ["AML-HF-01:OUTGOING"]
}

test_the_third_movement_just_under_the_threshold_in_a_day_is_suspicious if {
	today := {"OUTGOING": {"TRANSFER": {"total": "480000.00", "count": 1}, "PURCHASE": {"total": "450000.00", "count": 1}}}
	result := decision with input as movement("account.transfer", "499999.99", activity(today, own(2, {"OUTGOING": ["450000.00", "480000.00"]}), null))
	kinds := {a.kind | some a in alerts(result)}
	kinds == {"LARGE_VALUE", "SUSPICIOUS"}
	"AML-ST-01:OUTGOING" in rules(result)
}

test_structuring_counts_one_side_only if {
	result := decision with input as movement("account.transfer", "499999.99", activity({}, own(2, {"INCOMING": ["480000.00"], "OUTGOING": ["450000.00"]}), null))
	not "AML-ST-01:OUTGOING" in rules(result)
}

test_structuring_counts_amounts_in_the_band_only if {
	result := decision with input as movement("account.transfer", "499999.99", activity({}, own(2, {"OUTGOING": ["449999.99", "500000.00", "460000.00"]}), null))
	not "AML-ST-01:OUTGOING" in rules(result)
}

test_missing_facts_deny if {
	result := decision with input as movement("account.transfer", "10.00", null)
	result.allow == false
	result.reasons[0].code == "AML_FACTS_MISSING"
}

test_an_unreadable_amount_is_refused_not_screened_as_nothing if {
	result := decision with input as movement("account.transfer", "500000", quiet)
	result.allow == false
	result.reasons[0].code == "AML_FACTS_MISSING"
}

test_an_unreadable_day_total_is_refused_not_left_out if {
	result := decision with input as movement("account.transfer", "10.00", transfer_to({"INCOMING": {"DEPOSIT": {"total": "499999.5", "count": 1}}}))
	result.allow == false
	result.reasons[0].code == "AML_FACTS_MISSING"
}

test_every_alert_cites_its_rule if {
	result := decision with input as movement("account.transfer", "500000.00", quiet)
	contains(alerts(result)[0].reason, "《金融机构大额交易和可疑交易报告管理办法》第5条第(三)项")
}

test_amounts_beyond_32_bits_are_compared_and_written_exactly if {
	result := decision with input as movement("account.transfer", "9999999999999999.99", quiet)
	contains(alerts(result)[0].reason, "单笔CNY 9999999999999999.99")
	today := {"OUTGOING": {"TRANSFER": {"total": "9999999999999999.99", "count": 1}}}
	cumulative := decision with input as movement("account.transfer", "0.01", activity(today, own(0, {}), null))
	contains(alerts(cumulative)[0].reason, "当日出账累计CNY 10000000000000000.00（本笔CNY 0.01）")
}

test_a_weekend_day_made_a_working_day_counts if {
	# Saturday 5 December worked (调休): the fifth working day is then Saturday itself
	result := decision with input as movement("account.transfer", "500000.00", quiet)
		with data.calendar.workingWeekends as ["2026-12-05"]
		with data.calendar.holidays as ["2026-12-04"]
	alerts(result)[0].dueAt == "2026-12-06T00:00:00+08:00"
}
