package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/status"
)

// routes is Herald's route table: every URL the server answers, with who
// may use it. ORDER IS IMPORTANT: middleware applies only to the routes
// registered after it, and a fixed path goes before a parameter in the
// same place (/users/new before /users/:id).
//
// Access, from open to closed:
//   - public: anyone; public pages go through the snapshot cache;
//   - public form: anyone, rate-limited, never cached (no-store);
//   - hook: a monitoring webhook's token;
//   - console: a session (CSRF on every form), then per route the least
//     role: any signed-in user (viewer) unless a route names writers
//     (engineer and up), managers (manager and up) or admin;
//   - admin API: a bearer token holding at least the role named per route.
func (s *Server) routes() {
	app := s.app

	// Every answer says what it is: no content sniffing (JSON, feeds and
	// the badge included).
	app.Use(func(c *fiber.Ctx) error {
		c.Response().Header.SetCanonical(hdrNoSniff, valNoSniff)
		return c.Next()
	})

	// Health, for load balancers and container checks (public).
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)

	// Static files under content-hashed URLs (public).
	app.Get("/static/*", s.staticFile)

	// Console login (public form).
	app.Get("/console/login", s.showLogin)
	app.Post("/console/login", s.login)

	// Console: everything below is behind a session.
	console := app.Group("/console", s.requireSession)
	var (
		writers  = requireRole(incidentWriters...)
		managers = requireRole(pageManagers...)
		admin    = requireRole() // no roles named: admins only
		rules    = requireRole(ruleWriters...)
	)
	console.Post("/logout", s.logout)
	console.Get("/", s.showDashboard)
	console.Get("/password", s.showPassword)
	console.Post("/password", s.changePassword)
	console.Post("/preview", s.previewMarkdown)

	// Console: incidents.
	console.Get("/incidents/new", writers, s.showDeclare)
	console.Post("/incidents", writers, s.declareIncident)
	console.Get("/pages/:page/incidents/:id", s.showConsoleIncident)
	console.Get("/pages/:page/incidents/:id/timeline.md", s.exportTimeline)
	console.Post("/pages/:page/incidents/:id/updates", writers, s.postConsoleUpdate)
	console.Post("/pages/:page/incidents/:id/scheduled/:sid/cancel", writers, s.cancelScheduledUpdate)
	console.Post("/pages/:page/incidents/:id/edit", writers, s.editConsoleIncident)
	console.Post("/pages/:page/incidents/:id/customers", writers, s.setConsoleCustomers)
	console.Post("/pages/:page/incidents/:id/notes", writers, s.addConsoleNote)
	console.Post("/pages/:page/incidents/:id/timeline/:entry/confirm", writers, s.confirmFromEntry)
	console.Post("/pages/:page/incidents/:id/roles", writers, s.assignConsoleRole)
	console.Post("/pages/:page/incidents/:id/escalations", writers, s.recordConsoleEscalation)
	console.Post("/pages/:page/incidents/:id/process", writers, s.saveConsoleProcess)
	console.Post("/pages/:page/incidents/:id/confirmation-requests", writers, s.requestConsoleConfirmation)
	console.Post("/pages/:page/incidents/:id/close", writers, s.closeConsoleIncident)
	console.Post("/pages/:page/incidents/:id/postmortem", writers, s.savePostmortem)

	// Console: status pages, their groups and components.
	console.Get("/pages", s.listConsolePages)
	console.Get("/pages/new", managers, s.showNewPage)
	console.Post("/pages", managers, s.createConsolePage)
	console.Get("/pages/:page", s.showConsolePage)
	console.Post("/pages/:page", managers, s.saveConsolePage)
	console.Post("/pages/:page/delete", managers, s.deleteConsolePage)
	console.Post("/pages/:page/groups", managers, s.addConsoleGroup)
	console.Post("/pages/:page/groups/:id", managers, s.saveConsoleGroup)
	console.Post("/pages/:page/groups/:id/delete", managers, s.deleteConsoleGroup)
	console.Post("/pages/:page/groups/:id/move", managers, s.moveConsoleGroup)
	console.Post("/pages/:page/components", managers, s.addConsoleComponent)
	console.Post("/pages/:page/components/:id", managers, s.saveConsoleComponent)
	console.Post("/pages/:page/components/:id/delete", managers, s.deleteConsoleComponent)
	console.Post("/pages/:page/components/:id/move", managers, s.moveConsoleComponent)
	// A component's status outside an incident is the writers' call, as
	// during one.
	console.Post("/pages/:page/components/:id/status", writers, s.setConsoleComponentStatus)

	// Console: a page's subscribers.
	subs := &subscriberHandlers{s: s, subs: s.newSubscribers()}
	console.Get("/pages/:page/subscribers", managers, subs.showConsoleSubscribers)
	console.Get("/pages/:page/subscribers.csv", admin, subs.exportSubscribers)
	console.Post("/pages/:page/subscribers", admin, subs.addConsoleSubscriber)
	console.Post("/pages/:page/subscribers/import", admin, subs.importSubscribers)
	console.Post("/pages/:page/subscribers/:id/delete", admin, subs.removeConsoleSubscriber)

	// Console: maintenance.
	console.Get("/maintenance", s.listConsoleMaintenance)
	console.Get("/maintenance/new", writers, s.showNewMaintenance)
	console.Post("/maintenance", writers, s.scheduleConsoleMaintenance)
	console.Get("/pages/:page/maintenance/:id", s.showConsoleMaintenance)
	console.Post("/pages/:page/maintenance/:id", writers, s.saveConsoleMaintenance)
	console.Post("/pages/:page/maintenance/:id/updates", writers, s.postConsoleMaintenanceUpdate)
	console.Post("/pages/:page/maintenance/:id/delete", writers, s.deleteConsoleMaintenance)

	// Console: customers.
	console.Get("/customers", s.showCustomers)
	console.Get("/customers/new", writers, s.showNewCustomer)
	console.Get("/customers/search", s.searchCustomers)
	console.Post("/customers", writers, s.createConsoleCustomer)
	console.Get("/customers/:id", s.showCustomer)
	console.Post("/customers/:id", writers, s.saveConsoleCustomer)
	console.Post("/customers/:id/delete", writers, s.deleteConsoleCustomer)

	// Console: the triage inbox, the stored emails it comes from, and
	// monitoring alerts with their mapping rules and webhook tokens.
	console.Get("/inbox", s.showInbox)
	console.Get("/inbox/phone", writers, s.showPhoneForm)
	console.Post("/inbox/phone", writers, s.recordPhoneCall)
	console.Get("/inbox/:id", s.showIntakeItem)
	console.Post("/inbox/:id/attach", writers, s.attachIntakeItem)
	console.Post("/inbox/:id/dismiss", writers, s.dismissIntakeItem)
	console.Post("/inbox/:id/undo", writers, s.undoIntakeDismissal)
	console.Post("/inbox/:id/acknowledge", writers, s.acknowledgeIntakeItem)
	console.Get("/messages/:id", s.showMessage)
	console.Get("/messages/:id/raw", s.rawMessage)
	console.Get("/messages/:id/attachments/:part", s.messageAttachment)
	console.Get("/refs/:ref", s.resolveRef)
	console.Get("/alerts", s.showAlerts)
	console.Post("/alerts/rules", rules, s.addAlertRule)
	console.Post("/alerts/rules/:id", rules, s.updateAlertRule)
	console.Post("/alerts/rules/:id/delete", rules, s.deleteAlertRule)
	console.Post("/alerts/rules/:id/up", rules, s.moveAlertRule(true))
	console.Post("/alerts/rules/:id/down", rules, s.moveAlertRule(false))
	console.Post("/alerts/hooks/:hook/token", admin, s.newHookToken)
	console.Post("/alerts/hooks/:hook/revoke", admin, s.revokeHookToken)

	// Console: update templates (admins write them), the outbox.
	console.Get("/templates", s.listUpdateTemplates)
	console.Get("/templates/new", admin, s.newUpdateTemplate)
	console.Post("/templates", admin, s.saveUpdateTemplate)
	console.Get("/templates/:id", s.showUpdateTemplate)
	console.Post("/templates/:id", admin, s.saveUpdateTemplate)
	console.Post("/templates/:id/delete", admin, s.deleteUpdateTemplate)
	console.Get("/outbox", s.listEmails)
	console.Get("/outbox/:id", s.showEmail)
	console.Get("/outbox/:id/html", s.showEmailHTML)

	// Console: users, API tokens and the audit log (admins).
	console.Get("/users", admin, s.showUsers)
	console.Get("/users/new", admin, s.showNewUser)
	console.Post("/users", admin, s.addUser)
	console.Get("/users/:id", admin, s.showUser)
	console.Post("/users/:id", admin, s.saveUser)
	console.Post("/users/:id/password", admin, s.resetUserPassword)
	console.Get("/tokens", admin, s.showTokens)
	console.Post("/tokens", admin, s.addToken)
	console.Post("/tokens/:id/revoke", admin, s.revokeToken)
	console.Get("/audit", admin, s.showAudit)

	// Monitoring webhooks (hook: the token in the path or the header).
	app.Post("/hooks/:hook", s.receiveHook)
	app.Post("/hooks/:hook/:token", s.receiveHook)

	// Admin API (bearer token). Reading needs viewer; running incidents
	// and maintenance (create, change, post updates, resolve) engineer;
	// deleting them and changing pages, groups, components and alert rules
	// manager. Roles are ordered viewer < engineer < manager < admin.
	const (
		viewer   = status.RoleViewer
		engineer = status.RoleEngineer
		manager  = status.RoleManager
	)
	api := apiRouter{app.Group("/api/v1", s.requireToken)}
	api.get("/pages", viewer, s.listPages)
	api.post("/pages", manager, s.createPage)
	api.get("/pages/:page", viewer, s.getPage)
	api.patch("/pages/:page", manager, s.updatePage)
	api.delete("/pages/:page", manager, s.deletePage)
	api.get("/pages/:page/groups", viewer, s.listGroups)
	api.post("/pages/:page/groups", manager, s.createGroup)
	api.put("/pages/:page/groups/:id", manager, s.updateGroup)
	api.delete("/pages/:page/groups/:id", manager, s.deleteGroup)
	api.get("/pages/:page/components", viewer, s.listComponents)
	api.post("/pages/:page/components", manager, s.createComponent)
	api.get("/pages/:page/components/:id", viewer, s.getComponent)
	api.patch("/pages/:page/components/:id", manager, s.updateComponent)
	api.delete("/pages/:page/components/:id", manager, s.deleteComponent)
	api.get("/pages/:page/incidents", viewer, s.listIncidents)
	api.post("/pages/:page/incidents", engineer, s.createIncident)
	api.get("/pages/:page/incidents/:id", viewer, s.getIncident)
	api.patch("/pages/:page/incidents/:id", engineer, s.updateIncident)
	api.delete("/pages/:page/incidents/:id", manager, s.deleteIncident)
	api.post("/pages/:page/incidents/:id/updates", engineer, s.postIncidentUpdate)
	api.post("/pages/:page/incidents/:id/resolve", engineer, s.resolveIncident)
	api.post("/pages/:page/incidents/:id/escalations", engineer, s.recordEscalation)
	api.post("/pages/:page/incidents/:id/confirmation-requests", engineer, s.requestConfirmation)
	api.get("/pages/:page/maintenances", viewer, s.listMaintenances)
	api.post("/pages/:page/maintenances", engineer, s.createMaintenance)
	api.get("/pages/:page/maintenances/:id", viewer, s.getMaintenance)
	api.patch("/pages/:page/maintenances/:id", engineer, s.updateMaintenance)
	api.delete("/pages/:page/maintenances/:id", manager, s.deleteMaintenance)
	api.post("/pages/:page/maintenances/:id/updates", engineer, s.postMaintenanceUpdate)
	api.get("/customers", viewer, s.listCustomersAPI)
	api.get("/customers/:id", viewer, s.getCustomerAPI)
	api.get("/intake", viewer, s.listIntake)
	api.get("/intake/:id", viewer, s.getIntake)
	api.post("/intake/tickets", engineer, s.createTicket)
	api.post("/intake/:id/acknowledge", engineer, s.acknowledgeIntake)
	api.get("/intake/:id/alerts", viewer, s.listItemAlerts)
	api.get("/alerts/rules", viewer, s.listAlertRules)
	api.post("/alerts/rules", manager, s.createAlertRule)
	api.put("/alerts/rules/:id", manager, s.updateAlertRuleAPI)
	api.delete("/alerts/rules/:id", manager, s.deleteAlertRuleAPI)
	api.notFound()

	// Public pages, each reachable by host name and under /p/{slug}
	// (public), with the subscriber forms and links (public forms).
	for _, prefix := range []string{"", "/p/:slug"} {
		app.Get(prefix+"/", s.showStatus)
		app.Get(prefix+"/incidents/:id", s.showIncident)
		app.Get(prefix+"/incidents/:id/private/:token", s.showPrivateIncident)
		app.Get(prefix+"/maintenance/:id", s.showMaintenance)
		app.Get(prefix+"/history", s.showHistory)
		app.Get(prefix+"/history.atom", s.showAtom)
		app.Get(prefix+"/history.rss", s.showRSS)
		app.Get(prefix+"/badge.svg", s.showBadge)
		app.Get(prefix+"/subscribe", noStore, subs.showSubscribe)
		app.Post(prefix+"/subscribe", noStore, subs.subscribe)
		app.Get(prefix+"/subscribe/confirm/:token", noStore, subs.showConfirm)
		app.Post(prefix+"/subscribe/confirm/:token", noStore, subs.confirm)
		app.Get(prefix+"/manage/:token", noStore, subs.showManage)
		app.Post(prefix+"/manage/:token", noStore, subs.manage)
		app.Get(prefix+"/unsubscribe/:token", noStore, subs.showUnsubscribe)
		// RFC 8058 one-click: no token in a form, no cookie.
		app.Post(prefix+"/unsubscribe/:token", noStore, subs.unsubscribe)
		for _, name := range apiV2Documents {
			app.Get(prefix+"/api/v2/"+name, s.apiV2(name))
		}
		app.Get(prefix+"/api/v2/*", s.apiV2Unknown)
		app.Options(prefix+"/api/v2/*", s.apiV2Preflight)
	}

	app.Use(s.notFound)
}
