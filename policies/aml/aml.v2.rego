# AML monitoring (反洗钱), version 2: which alerts does this money movement raise, and by when must
# each be reported?
#
# Input: the movement the gate sends (plugins/aml.ts): input.action, input.args.input.amount (a
# canonical decimal string), input.facts.amlActivity (the business day's totals per customer, side
# and transaction type, for the acting customer and a transfer's receiver; how many of the acting
# customer's own movements fall within each window of minutes, and the amounts of their own movements
# of the day in the movement's currency, per side) and input.facts.businessCalendar
# (today's weekday, and today and the days after it as the instants they begin).
# Data: the `data:` section of aml.v2.yaml (thresholds, counted types, windows, the calendar).
# Sources: ../shared/reference/regulations.md section 3.
#
# The module allows every movement it can screen, and obliges it to raise one alert per rule met,
# each booked to the customer whose side it is about ("<rule>:<SIDE>": OUTGOING is the debited
# customer's side, INCOMING the credited customer's), with its deadline (`dueAt`). A movement it
# cannot screen (its facts missing, an amount or a day's total it cannot read, a movement it does
# not know) is refused: screening nothing would allow it unscreened.
# Amounts are compared as integer cents, never as floats.
package fingate.aml

decision := result if {
	not screenable
	result := {"allow": false, "reasons": [reason("AML_FACTS_MISSING", "the movement's amount or AML facts are missing or unreadable, so it cannot be screened", null)], "obligations": {}}
} else := result if {
	not movement_legs[input.action]
	result := {"allow": false, "reasons": [reason("AML_UNKNOWN_MOVEMENT", concat("", [input.action, " is not a movement this policy knows"]), null)], "obligations": {}}
} else := {
	"allow": true,
	"reasons": [reason("AML_SCREENED", screened_message, "《反洗钱法》第35条")],
	"obligations": obligations,
}

activity := input.facts.amlActivity

screenable if {
	is_object(activity)
	is_number(amount)
	count(unreadable_totals) == 0
}

# A day's total that is no two-place decimal: left out, it would understate the day.
unreadable_totals contains t.total if {
	some party in ["customer", "receiver"]
	is_object(activity[party])
	some types in object.get(activity[party], "today", {})
	some t in types
	not readable(t.total)
}

readable(decimal) if is_number(cents(decimal))

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

screened_message := concat("", ["screened against ", format_int(count(applicable_rules), 10), " large-value rule(s), high frequency and structuring: ", format_int(count(alerts), 10), " alert(s)"])

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

large_value_reason(rule, _, "SINGLE", _, threshold) := concat("", [
	rule.description, "：单笔", money(amount), "，达到大额交易报告标准", money(threshold), "（", rule.code, "），依据", rule.regulation, "。",
])

large_value_reason(rule, leg, "CUMULATIVE", total, threshold) := concat("", [
	rule.description, "：当日", side_words[leg.side], "累计", money(total), "（本笔", money(amount), "），达到大额交易报告标准", money(threshold),
	"（", rule.code, "），依据", rule.regulation, "。",
])

# ---------------------------------------------------------------------------------------------
# High frequency: the acting customer's own movements within the window reach N with this one.
# Raised once, by the movement that reaches N (each movement of the count is decided here).

high_frequency_alerts := [alert |
	leg := legs[0]
	rule := data.highFrequency
	earlier := activity.customer.own.within[format_int(rule.withinMinutes, 10)]
	earlier + 1 == rule.movements
	alert := {
		"kind": "HIGH_FREQUENCY",
		"rule": concat(":", [rule.rule, leg.side]),
		"reason": concat("", [
			"高频交易：客户", format_int(rule.withinMinutes, 10), "分钟内发生", format_int(earlier + 1, 10), "笔交易（含本笔", money(amount),
			"），达到监测标准", format_int(rule.movements, 10), "笔（", rule.rule, "），依据", rule.regulation, "。",
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
	range := rule.ranges[currency]
	just_under(amount, range)
	earlier := count([a |
		some a in object.get(activity.customer.own.todayAmounts, leg.side, [])
		just_under(cents(a), range)
	])
	earlier + 1 == rule.movements
	alert := {
		"kind": "SUSPICIOUS",
		"rule": concat(":", [rule.rule, leg.side]),
		"reason": concat("", [
			"疑似拆分交易：当日", side_words[leg.side], "第", format_int(earlier + 1, 10), "笔金额在", currency, " ", range.from, "至", currency, " ", range.below,
			"之间的交易（本笔", money(amount), "，", rule.rule, "），依据", rule.regulation, "。",
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
# are not working days, weekend days made working days are), from the data's calendar. The
# calendar fact lists each day as the instant it begins ("2026-11-30T00:00:00+08:00"): a day's date
# is its first ten characters, and it ends when the next one begins.

working_days_after := [ends |
	some i, day in input.facts.businessCalendar.days
	i > 0
	working(substring(day, 0, 10), weekday(i))
	ends := input.facts.businessCalendar.days[i + 1]
]

# the ISO weekday (1 Monday … 7 Sunday) of the calendar's i-th day
weekday(i) := ((input.facts.businessCalendar.weekday - 1 + i) % 7) + 1

working(date, _) if {
	date in data.calendar.workingWeekends
}

working(date, weekday) if {
	not weekday in data.calendar.weekend
	not date in data.calendar.holidays
}

# The deadline's instant, or null when the calendar fact does not reach that far.
due_at(n) := working_days_after[n - 1] if {
	count(working_days_after) >= n
} else := null

# ---------------------------------------------------------------------------------------------
# Amounts

# Integer cents of a two-place decimal string ("500000.00" → 50000000), as the gateway writes
# amounts; undefined without exactly two places. (String builtins only: a regex or sprintf costs a
# compilation or a call out of the wasm on every use.)
cents(s) := to_number(replace(s, ".", "")) if {
	indexof(s, ".") == count(s) - 3
}

# An amount in the movement's currency, for reasons ("CNY 500000.00").
money(c) := concat(" ", [currency, decimal(c)])

# The two-place decimal string of integer cents (50000000 → "500000.00").
decimal(c) := concat(".", [digits((c - (c % 100)) / 100), padded(c % 100, 2)])

# The decimal digits of a whole number below 10^27 (format_int takes 32-bit numbers in wasm: the
# number goes in nine-digit chunks).
digits(n) := format_int(n, 10) if {
	n < 1000000000
} else := concat("", [format_int((n - (n % 1000000000)) / 1000000000, 10), padded(n % 1000000000, 9)]) if {
	n < 1000000000000000000
} else := concat("", [
	format_int((n - (n % 1000000000000000000)) / 1000000000000000000, 10),
	padded(((n % 1000000000000000000) - (n % 1000000000)) / 1000000000, 9),
	padded(n % 1000000000, 9),
])

# A whole number below 10^width, zero-padded to `width` digits.
padded(n, width) := substring(s, count(s) - width, width) if {
	s := concat("", ["000000000", format_int(n, 10)])
}

reason(code, message, regulation) := {"code": code, "message": message, "regulation": regulation}
