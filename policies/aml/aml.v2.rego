# AML monitoring (反洗钱), version 2: which alerts does this money movement raise, and by when must
# each be reported?
#
# Input: the movement the gate sends (plugins/aml.ts): input.action, input.args.input.amount (a
# canonical decimal string), input.facts.amlActivity (the business day's totals per customer, side
# and transaction type, for the acting customer and a transfer's receiver; the acting customer's own
# movements of the last 24 hours) and input.facts.businessCalendar (today and the days after it).
# Data: the `data:` section of aml.v2.yaml (thresholds, counted types, windows, the calendar).
# Sources: ../shared/reference/regulations.md section 3.
#
# The module never refuses a movement: it allows it, and obliges the movement to raise one alert per
# rule met, each booked to the customer whose side it is about ("<rule>:<SIDE>": OUTGOING is the
# debited customer's side, INCOMING the credited customer's), with its deadline (`dueAt`).
# Amounts are compared as integer cents, never as floats.
package fingate.aml

decision := result if {
	not screenable
	result := {"allow": false, "reasons": [reason("AML_FACTS_MISSING", "the movement's AML facts are missing, so it cannot be screened", null)], "obligations": {}}
} else := result if {
	not movement_legs[input.action]
	result := {"allow": false, "reasons": [reason("AML_UNKNOWN_MOVEMENT", concat("", [input.action, " is not a movement this policy knows"]), null)], "obligations": {}}
} else := {
	"allow": true,
	"reasons": [reason("AML_SCREENED", screened_message, "《反洗钱法》第35条")],
	"obligations": obligations,
}

activity := input.facts.amlActivity

screenable if is_object(activity)

# The sides of a customer's day this movement adds to: purchases and transfers go out of the acting
# customer's accounts, redemptions come in; a transfer also comes in on its receiver's side.
movement_legs := {
	"product.purchase": [{"party": "customer", "side": "OUTGOING", "type": "PURCHASE"}],
	"product.redeem": [{"party": "customer", "side": "INCOMING", "type": "REDEMPTION"}],
	"account.transfer": [
		{"party": "customer", "side": "OUTGOING", "type": "TRANSFER"},
		{"party": "receiver", "side": "INCOMING", "type": "TRANSFER"},
	],
}

# The legs whose party is known (a transfer to an account that cannot receive it has no receiver).
legs := [leg | some leg in movement_legs[input.action]; is_object(activity[leg.party])]

amount := cents(input.args.input.amount)

currency := activity.currency

obligations := {"alerts": alerts} if count(alerts) > 0

else := {}

alerts := array.concat(array.concat(large_value_alerts, high_frequency_alerts), structuring_alerts)

screened_message := sprintf("screened against %d large-value rule(s), high frequency and structuring: %d alert(s)", [count(applicable_rules), count(alerts)])

# ---------------------------------------------------------------------------------------------
# Large-value transactions (大额交易): the movement alone, or with the same side's earlier counted
# transactions of the business day, reaches a threshold — Order 〔2016〕No.3 Art.5. Once a side's day
# has reached it, each further counted movement on that side is large-value too.

# The rules for this platform's customers and channel that have a threshold in the movement's currency.
applicable_rules := [rule |
	some rule in data.largeValue.rules
	rule.channel == data.classification.channel
	data.classification.customerType in rule.customerTypes
	data.classification.scope in rule.scopes
	is_string(rule.thresholds[currency])
]

large_value_alerts := [alert |
	some leg in legs
	leg.type in data.largeValue.countedTypes
	before := side_total(activity[leg.party].today, leg.side)
	some rule in applicable_rules
	threshold := cents(rule.thresholds[currency])
	basis := large_value_basis(amount, before + amount, threshold)
	alert := {
		"kind": "LARGE_VALUE",
		"rule": concat(":", [rule.code, leg.side]),
		"reason": large_value_reason(rule, leg, basis, before + amount, threshold),
		"dueAt": due_at(data.largeValue.reportWorkingDays),
	}
]

large_value_basis(single, total, threshold) := "SINGLE" if {
	reaches(single, threshold)
} else := "CUMULATIVE" if {
	reaches(total, threshold)
}

reaches(value, threshold) if {
	data.largeValue.comparison == "GTE"
	value >= threshold
}

reaches(value, threshold) if {
	data.largeValue.comparison == "GT"
	value > threshold
}

# What the side's counted transactions of the business day add up to, in cents.
side_total(today, side) := sum([cents(totals.total) |
	some type, totals in object.get(today, side, {})
	type in data.largeValue.countedTypes
])

side_words := {"INCOMING": "入账", "OUTGOING": "出账"}

large_value_reason(rule, leg, "SINGLE", _, threshold) := sprintf("%s：单笔%s %s，达到大额交易报告标准%s %s（%s），依据%s。", [
	rule.description, currency, decimal(amount), currency, decimal(threshold), rule.code, rule.regulation,
])

large_value_reason(rule, leg, "CUMULATIVE", total, threshold) := sprintf("%s：当日%s累计%s %s（本笔%s %s），达到大额交易报告标准%s %s（%s），依据%s。", [
	rule.description, side_words[leg.side], currency, decimal(total), currency, decimal(amount), currency, decimal(threshold), rule.code, rule.regulation,
])

# ---------------------------------------------------------------------------------------------
# High frequency: the acting customer's own movements within the window reach N with this one.
# Raised once, by the movement that reaches N (each movement of the count is decided here).

high_frequency_alerts := [alert |
	leg := legs[0]
	leg.type in data.highFrequency.countedTypes
	rule := data.highFrequency
	earlier := count({r.transaction |
		some r in activity.customer.recent
		r.type in rule.countedTypes
		r.secondsAgo < rule.withinMinutes * 60
	})
	earlier + 1 == rule.movements
	alert := {
		"kind": "HIGH_FREQUENCY",
		"rule": concat(":", [rule.rule, leg.side]),
		"reason": sprintf("高频交易：客户%d分钟内发生%d笔交易（含本笔%s %s），达到监测标准%d笔（%s），依据%s。", [
			rule.withinMinutes, earlier + 1, currency, decimal(amount), rule.movements, rule.rule, rule.regulation,
		]),
		"dueAt": due_at(rule.reviewWorkingDays),
	}
]

# ---------------------------------------------------------------------------------------------
# Structuring (拆分交易): the acting customer's movements of the business day on one side, each just
# under a threshold, reach N with this one. Raised once, by the movement that reaches N.

structuring_alerts := [alert |
	leg := legs[0]
	rule := data.structuring
	leg.type in rule.countedTypes
	range := rule.ranges[currency]
	just_under(amount, range)
	earlier := count({r.transaction |
		some r in activity.customer.recent
		r.today
		r.side == leg.side
		r.currency == currency
		r.type in rule.countedTypes
		just_under(cents(r.amount), range)
	})
	earlier + 1 == rule.movements
	alert := {
		"kind": "SUSPICIOUS",
		"rule": concat(":", [rule.rule, leg.side]),
		"reason": sprintf("疑似拆分交易：当日%s第%d笔金额在%s %s至%s %s之间的交易（本笔%s %s，%s），依据%s。", [
			side_words[leg.side], earlier + 1, currency, range.from, currency, range.below, currency, decimal(amount), rule.rule, rule.regulation,
		]),
		"dueAt": due_at(rule.reviewWorkingDays),
	}
]

just_under(value, range) if {
	value >= cents(range.from)
	value < cents(range.below)
}

# ---------------------------------------------------------------------------------------------
# Deadlines: the end of the n-th working day after the business day (weekends and public holidays
# are not working days, weekend days made working days are), from the data's calendar.

working_days_after := [day |
	some i, day in input.facts.businessCalendar.days
	i > 0
	working(day)
]

working(day) if {
	day.date in data.calendar.workingWeekends
}

working(day) if {
	not day.weekday in data.calendar.weekend
	not day.date in data.calendar.holidays
}

# The deadline's instant, or null when the calendar fact does not reach that far.
due_at(n) := working_days_after[n - 1].end if {
	count(working_days_after) >= n
} else := null

# ---------------------------------------------------------------------------------------------
# Amounts

# Integer cents of a two-place decimal string ("500000.00" → 50000000); undefined for anything else.
cents(s) := to_number(replace(s, ".", "")) if {
	regex.match(`^[0-9]+\.[0-9]{2}$`, s)
}

# The two-place decimal string of integer cents (50000000 → "500000.00").
decimal(c) := sprintf("%d.%02d", [(c - (c % 100)) / 100, c % 100])

reason(code, message, regulation) := {"code": code, "message": message, "regulation": regulation}
