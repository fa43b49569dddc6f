package web

import "github.com/gofiber/fiber/v2"

// routes is Herald's route table. Middleware applies only to routes
// registered after it: keep the order.
func (s *Server) routes() {
	app := s.app

	// Every answer says what it is: no content sniffing (JSON, feeds and
	// the badge included).
	app.Use(func(c *fiber.Ctx) error {
		c.Response().Header.SetCanonical(hdrNoSniff, valNoSniff)
		return c.Next()
	})

	// Health, for load balancers and container checks.
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)

	// Static files under content-hashed URLs.
	app.Get("/static/*", s.staticFile)

	// Console: login first, then everything behind a session (with CSRF
	// checks on every form) and, per route, a role.
	app.Get("/console/login", s.showLogin)
	app.Post("/console/login", s.login)
	console := app.Group("/console", s.requireSession)
	console.Post("/logout", s.logout)
	console.Get("/", s.showDashboard)
	console.Get("/password", s.showPassword)
	console.Post("/password", s.changePassword)
	console.Post("/preview", s.previewMarkdown)
	console.Get("/incidents/new", requireRole(incidentWriters...), s.showDeclare)
	console.Post("/incidents", requireRole(incidentWriters...), s.declareIncident)
	console.Get("/pages/:page/incidents/:id", s.showConsoleIncident)
	console.Get("/pages/:page/incidents/:id/timeline.md", s.exportTimeline)
	console.Post("/pages/:page/incidents/:id/updates", requireRole(incidentWriters...), s.postConsoleUpdate)
	console.Post("/pages/:page/incidents/:id/scheduled/:sid/cancel", requireRole(incidentWriters...), s.cancelScheduledUpdate)
	console.Post("/pages/:page/incidents/:id/edit", requireRole(incidentWriters...), s.editConsoleIncident)
	console.Post("/pages/:page/incidents/:id/customers", requireRole(incidentWriters...), s.setConsoleCustomers)
	console.Post("/pages/:page/incidents/:id/notes", requireRole(incidentWriters...), s.addConsoleNote)
	console.Post("/pages/:page/incidents/:id/timeline/:entry/confirm", requireRole(incidentWriters...), s.confirmFromEntry)
	console.Post("/pages/:page/incidents/:id/roles", requireRole(incidentWriters...), s.assignConsoleRole)
	console.Post("/pages/:page/incidents/:id/escalations", requireRole(incidentWriters...), s.recordConsoleEscalation)
	console.Post("/pages/:page/incidents/:id/close", requireRole(incidentWriters...), s.closeConsoleIncident)
	console.Post("/pages/:page/incidents/:id/postmortem", requireRole(incidentWriters...), s.savePostmortem)
	s.pageRoutes(console)
	s.customerRoutes(console)
	s.adminRoutes(console)
	s.templateRoutes(console)
	s.outboxRoutes(console)
	s.intakeRoutes(console)
	s.messageRoutes(console)
	s.alertRoutes(console)

	// Monitoring webhooks (a token each).
	s.hookRoutes(app)

	// Admin API (bearer token).
	s.apiV1Routes(app.Group("/api/v1", s.requireToken))

	// Public pages, each reachable by host name and under /p/{slug}.
	for _, prefix := range []string{"", "/p/:slug"} {
		app.Get(prefix+"/", s.showStatus)
		app.Get(prefix+"/incidents/:id", s.showIncident)
		app.Get(prefix+"/incidents/:id/private/:token", s.showPrivateIncident)
		app.Get(prefix+"/maintenance/:id", s.showMaintenance)
		app.Get(prefix+"/history", s.showHistory)
		app.Get(prefix+"/history.atom", s.showAtom)
		app.Get(prefix+"/history.rss", s.showRSS)
		app.Get(prefix+"/badge.svg", s.showBadge)
		s.subscriberRoutes(app, prefix)
		for _, name := range apiV2Documents {
			app.Get(prefix+"/api/v2/"+name, s.apiV2(name))
		}
		app.Get(prefix+"/api/v2/*", s.apiV2Unknown)
		app.Options(prefix+"/api/v2/*", s.apiV2Preflight)
	}

	app.Use(s.notFound)
}
