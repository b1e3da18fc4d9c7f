// Package deploy holds no code, only tests of what Heroku reads from this
// repository: app.json (checked against docs/app.schema.json and against
// config.Settings), go.mod's +heroku comments and the Procfile. They also run
// the build Heroku's Go buildpack runs and start its output the way a dyno
// would.
package deploy
