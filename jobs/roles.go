package jobs

import (
	"context"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/problem"
)

// startRoles is the least role that may start a job of each kind: the one
// place that says it. Cancelling a job needs the same role, so an operator
// cannot stop what only an admin may start. The routes that start jobs
// must ask for these roles (a test of app/httpapi checks they do).
var startRoles = map[string]auth.Role{
	ValidateRecordsArgs{}.Kind(): auth.RoleOperator, // uploads
	RevalidateArgs{}.Kind():      auth.RoleOperator,
	BuildKGArgs{}.Kind():         auth.RoleOperator,
	FlowLineArgs{}.Kind():        auth.RoleOperator, // fix-flow executions
	TrainModelArgs{}.Kind():      auth.RoleAdmin,
	MineRulesArgs{}.Kind():       auth.RoleAdmin,
	PruneAuditLogArgs{}.Kind():   auth.RoleAdmin, // periodic
}

// RoleToStart is the least role that may start, and so cancel, a job of
// the kind; a kind not named here needs an admin.
func RoleToStart(kind string) auth.Role {
	if role, ok := startRoles[kind]; ok {
		return role
	}
	return auth.RoleAdmin
}

// authorize returns the job when a caller with the role may act on it as
// on one it started, and a Forbidden problem otherwise.
func (c *Client) authorize(ctx context.Context, id int64, role auth.Role) (View, error) {
	job, err := c.Get(ctx, id)
	if err != nil {
		return View{}, err
	}
	if need := RoleToStart(job.Kind); !role.Allows(need) {
		return View{}, problem.Forbiddenf("a %s job needs the %s role to be started or cancelled; you have %s", job.Kind, need, role)
	}
	return job, nil
}
