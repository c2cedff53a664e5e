package jobs

// Kinds are the kinds of PFF's jobs, sorted. Metrics report every one of
// them, with zeros before its first job, so that an alert on the first
// failure of a kind sees the series go from 0 to 1 rather than appear.
func Kinds() []string {
	return []string{
		BuildKGArgs{}.Kind(),
		FlowLineArgs{}.Kind(),
		LearnConstraintsArgs{}.Kind(),
		MineRulesArgs{}.Kind(),
		PruneAuditLogArgs{}.Kind(),
		RevalidateArgs{}.Kind(),
		TrainModelArgs{}.Kind(),
		ValidateRecordsArgs{}.Kind(),
	}
}
