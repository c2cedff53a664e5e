// Package flows is PFF's fix-flow language: its parser, linter and
// migrator, and the interpreter that runs a flow on one line (one MSISDN)
// for the engine, which makes the calls, keeps the journal and parks lines.
//
// # Flows and steps
//
// A flow file maps flow names to lists of steps. The team's legacy files
// load and run unchanged.
//
//	Cancelar:
//	  - method: line.get_contract          # call a method
//	    args:
//	      search: {externalId: "{{msisdn}}"}
//	    save_as: info                      # keep its result
//	  - when: info['contract']['paymentContext'] in ['Control', 'Prepaid']
//	    next_sequence: Soft_Cancel_Control # run another flow, then come back
//
// A step does exactly one of these:
//
//	method: line.x        call a method with args; save_as keeps the result
//	next_sequence: Flow   run another flow of the file; it shares variables
//	set: name             assign value (a template or a literal) to a variable
//	approve: message      park the line until a person approves
//	fail: message         fail the line with a message
//	end: true | message   end the line successfully
//
// and may also have:
//
//	id: name              a name for on_error jumps (letters, digits, _ and -)
//	when: expression      run the step only if the expression is true
//	loop_over: expression run the step once per element of a list, with the
//	                      element as item and its position as index; when is
//	                      evaluated for each item; save_as keeps the last value
//	                      saved, after the loop too
//	retry: 3              for a method: attempts in all, or a mapping
//	                      {attempts, backoff: 1s, max_backoff: 30s, jitter: 0.2,
//	                      on: [transient, timeout]} (those values are the
//	                      defaults); the engine may retry less when resending a
//	                      write is unsafe
//	timeout: 10s          for a method: how long one attempt may take
//	on_error: fail        what a failure of the step does: fail (the default)
//	                      fails the line; continue goes on with the step's
//	                      variable set to None; a step id jumps to that step of
//	                      the same flow
//
// A failure inside a flow run by next_sequence fails the next_sequence step,
// whose on_error applies. A fail step fails the line however it was reached,
// and an end step ends it, callers included.
//
// search_in_dict (data, criteria) is computed by the interpreter: it returns
// the first value within data, data included, that deep-partially matches
// criteria (every key of a criteria map is there and matches, every element
// of a criteria list matches some element, scalars are equal), or None.
// Searching goes depth first, map keys in sorted order.
//
// # Variables
//
// msisdn, payload and the line's other input columns are set when the run
// starts; save_as and set add more; item and index hold a loop's element;
// error holds {code, message, step} of the last failure that on_error
// caught. Reading a variable that is not set is an error (Python's
// NameError); write name ?? default to read one that may be missing.
//
// # Templates
//
// String values of args, set's value and the messages of approve, fail and
// end are templates: {{ expression }} is replaced by the expression's value.
// A template that is only one placeholder keeps the value's type, so
// "{{ info }}" passes a map as a map. Elsewhere values are written as
// Python's str() writes them (None, True, 12, 1.5), except lists and maps,
// which are written as JSON; whole numbers from JSON have no ".0". Args may
// be nested maps and lists whose strings are templates.
//
// # Expressions
//
// when, loop_over and placeholders are expressions in the syntax of
// github.com/expr-lang/expr, with Python's meaning where the two languages
// overlap, so legacy expressions keep working:
//
//	x in ['A', 'B'], x not in [...]   membership in a list, map keys, substrings
//	not x, a and b, a or b            Python's truthiness; and/or return the
//	                                  deciding operand, so a or 'default' works
//	not a == b                        not (a == b), as in Python; write !a for
//	                                  expr's tight negation
//	a['b']['c'], a.b                  a missing key is an error (KeyError), and
//	                                  so is a subscript of None (TypeError)
//	a?.['b'], a?.b                    None when a is None or has no key b
//	a['b']['c'] ?? d                  d when any part is missing or None
//	True, False, None                 as true, false, nil
//	len(x), str(x), bool(x)           Python's meanings
//	c ? x : y                         Python's x if c else y
//	filter(xs, {#['s'] == 'A'})       Python's [x for x in xs if x['s'] == 'A']
//	map(xs, {#['id']}), count(xs, {...}), any(xs, {...}), all(xs, {...})
//
// plus the rest of expr's operators and builtins. Truthiness is Python's:
// None, false, 0, and empty strings, lists and maps are false, everything
// else true, except that a value with a Truthy() bool method decides for
// itself: the engine's write results are true when the write was applied
// and false when it was rejected. Subscripts reach a struct's fields by
// their JSON names.
//
// Expressions are compiled when the file is parsed, so a syntax error or an
// unknown function is reported with its file, line and column. An
// expression that fails when it runs fails its step with code expr_error:
// it never turns into false, and an argument that cannot be evaluated is
// never sent.
//
// Python that expr cannot express (comprehensions, x if c else y, is None,
// multi-line expressions, len() of a generator, .get() and other methods,
// // division) is a lint error. `pff flows migrate` rewrites what has an
// expr equivalent and names what has none (floor division, lambdas, dict
// comprehensions, f-strings), which an author rewrites by hand.
//
// # Running
//
// Run is deterministic: every call, approval and boundary carries a StepRef
// whose Key is stable across reruns, so the engine can rerun a line's flow
// from the start after a crash and answer the calls already made from its
// journal.
package flows
