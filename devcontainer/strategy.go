package devcontainer

// DefaultStrategy is the strategy a command checks a config with when
// neither a flag nor .devfix.jsonc names one, and the note that says why
// when the reason is the config itself ("" otherwise): env for a config
// that already reads the env strategy's DEVFIX_* variables, keepid under
// Podman, else root. (The zero Options, a library default, is root.)
func DefaultStrategy(c *Config, e Engine) (Strategy, string) {
	switch {
	case c.UsesEnvStrategy():
		return StrategyEnv, "reads DEVFIX_* variables: checked with strategy env"
	case e == EnginePodman:
		return StrategyKeepID, ""
	}
	return StrategyRoot, ""
}
