package compose

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/devfix/devfix/internal/source"
	"github.com/google/go-cmp/cmp"
)

type query struct {
	name string
	at   func(p *Project) (source.Loc, bool)
	want string
}

func field(svc string, keys ...string) func(*Project) (source.Loc, bool) {
	return func(p *Project) (source.Loc, bool) { return p.Field(svc, keys...) }
}

// volume locates the model's volume of svc with that target.
func volume(t *testing.T, svc, target string) func(*Project) (source.Loc, bool) {
	return func(p *Project) (source.Loc, bool) {
		for _, v := range p.Model.Services[svc].Volumes {
			if v.Target == target {
				return p.Volume(svc, v)
			}
		}
		t.Errorf("the model has no volume %s of %s: %+v", target, svc, p.Model.Services[svc].Volumes)
		return source.Loc{}, false
	}
}

func port(svc string, pc types.ServicePortConfig) func(*Project) (source.Loc, bool) {
	return func(p *Project) (source.Loc, bool) { return p.Port(svc, pc) }
}

func TestLocate(t *testing.T) {
	cases := []struct {
		name    string
		files   map[string]string
		env     map[string]string
		load    []string
		model   func(t *testing.T, p *Project) // checks of the model, optional
		queries []query
	}{
		{
			name: "later file overrides",
			files: map[string]string{
				".devcontainer/compose.yml": "services:\n  app:\n    image: base\n    user: vscode\n    volumes:\n      - ..:/workspaces/app:cached\n      - /var/run/docker.sock:/var/run/docker.sock\n    ports: [\"8080:80\"]\n",
				".devcontainer/over.yml":    "services:\n  app:\n    user: root\n    volumes:\n      - type: bind\n        source: ${XDG_RUNTIME_DIR}/docker.sock\n        target: /var/run/docker.sock\n",
			},
			env:  map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"},
			load: []string{".devcontainer/compose.yml", ".devcontainer/over.yml"},
			model: func(t *testing.T, p *Project) {
				if got := p.Model.Services["app"].User; got != "root" {
					t.Errorf("user %q", got)
				}
				for _, v := range p.Model.Services["app"].Volumes {
					if v.Target == "/var/run/docker.sock" && v.Source != "/run/user/1000/docker.sock" {
						t.Errorf("socket source %q", v.Source)
					}
				}
				if p.Model.WorkingDir != p.given[0].dir {
					t.Errorf("project dir %q", p.Model.WorkingDir)
				}
			},
			queries: []query{
				{"user", field("app", "user"), ".devcontainer/over.yml:3:11 /services/app/user `root`"},
				{"image", field("app", "image"), ".devcontainer/compose.yml:3:12 /services/app/image `base`"},
				{"workspace", volume(t, "app", "/workspaces/app"), ".devcontainer/compose.yml:6:9 /services/app/volumes/0 `..:/workspaces/app:cached`"},
				{"socket", volume(t, "app", "/var/run/docker.sock"), ".devcontainer/over.yml:5:9 /services/app/volumes/0 `type: bind…`"},
				{"port", port("app", types.ServicePortConfig{Target: 80, Published: "8080", Protocol: "tcp"}), ".devcontainer/compose.yml:8:13 /services/app/ports/0 `\"8080:80\"`"},
				{"service", func(p *Project) (source.Loc, bool) { return p.Service("app") }, ".devcontainer/over.yml:2:3 /services/app `app`"},
				{"unset", field("app", "privileged"), ".devcontainer/over.yml:2:3 /services/app `app` (fallback)"},
			},
		},
		{
			name: "extends in the same file and from another file",
			files: map[string]string{
				"compose.yml":     "services:\n  base:\n    image: b\n    user: vscode\n    volumes: [\"/data:/data\"]\n  app:\n    extends: base\n    volumes:\n      - /src:/src\n  other:\n    extends:\n      file: common/base.yml\n      service: common\n",
				"common/base.yml": "services:\n  common:\n    image: c\n    privileged: true\n    volumes:\n      - ./cache:/cache\n",
			},
			load: []string{"compose.yml"},
			model: func(t *testing.T, p *Project) {
				for _, v := range p.Model.Services["other"].Volumes {
					if v.Target == "/cache" && v.Source != p.given[0].dir+"/common/cache" {
						t.Errorf("cache source %q: relative to the extended file's folder", v.Source)
					}
				}
			},
			queries: []query{
				{"user from base", field("app", "user"), "compose.yml:4:11 /services/base/user `vscode`"},
				{"own volume", volume(t, "app", "/src"), "compose.yml:9:9 /services/app/volumes/0 `/src:/src`"},
				{"base volume", volume(t, "app", "/data"), "compose.yml:5:15 /services/base/volumes/0 `\"/data:/data\"`"},
				{"privileged from file", field("other", "privileged"), "common/base.yml:4:17 /services/common/privileged `true`"},
				{"volume from file", volume(t, "other", "/cache"), "common/base.yml:6:9 /services/common/volumes/0 `./cache:/cache`"},
				{"image", field("other", "image"), "common/base.yml:3:12 /services/common/image `c`"},
			},
		},
		{
			name: "include, and the including file on top",
			files: map[string]string{
				"compose.yml":    "include:\n  - db/compose.yml\nservices:\n  app:\n    image: a\n    depends_on: [db]\n",
				"db/compose.yml": "x-more: &ports\n  ports: [\"${DB_PORT:-5432}:5432\"]\nservices:\n  db:\n    <<: *ports\n    image: postgres\n    user: postgres\n    volumes:\n      - data:/var/lib/postgresql/data\n      - ${DB_INIT}:/docker-entrypoint-initdb.d\nvolumes:\n  data:\n    driver_opts:\n      type: nfs\n      o: addr=10.0.0.1\n",
				"db/.env":        "DB_INIT=./init\n",
				"over.yml":       "services:\n  db:\n    user: \"999\"\n",
			},
			load: []string{"compose.yml", "over.yml"},
			queries: []query{
				{"user over", field("db", "user"), "over.yml:3:11 /services/db/user `\"999\"`"},
				{"image in include", field("db", "image"), "db/compose.yml:6:12 /services/db/image `postgres`"},
				{"volume with the include's .env", volume(t, "db", "/docker-entrypoint-initdb.d"), "db/compose.yml:10:9 /services/db/volumes/1 `${DB_INIT}:/docker-entrypoint-initdb.d`"},
				{"top-level volume", func(p *Project) (source.Loc, bool) { return p.Resource("volumes", "data", "driver_opts", "type") }, "db/compose.yml:14:13 /volumes/data/driver_opts/type `nfs`"},
				{"port through a merge key", port("db", types.ServicePortConfig{Target: 5432, Published: "5432", Protocol: "tcp"}), "db/compose.yml:2:11 /x-more/ports/0 `\"${DB_PORT:-5432}:5432\"`"},
			},
		},
		{
			name: "an include's env files: each sees the ones before, the environment wins",
			files: map[string]string{
				"compose.yml":     "include:\n  - path: inc/compose.yml\n    env_file: [inc/a.env, inc/b.env]\n",
				"inc/compose.yml": "services:\n  db:\n    image: x\n    volumes:\n      - /x:${DST}\n      - /y:${TOP}\n",
				"inc/a.env":       "BASE=/from-a\nTOP=/from-a\n",
				"inc/b.env":       "DST=${BASE}/dst\n",
			},
			env:  map[string]string{"TOP": "/from-env"},
			load: []string{"compose.yml"},
			model: func(t *testing.T, p *Project) {
				var got []string
				for _, v := range p.Model.Services["db"].Volumes {
					got = append(got, v.Target)
				}
				if diff := cmp.Diff([]string{"/from-a/dst", "/from-env"}, got); diff != "" {
					t.Errorf("targets (-want +got):\n%s", diff)
				}
			},
			queries: []query{
				{"target from the second env file", volume(t, "db", "/from-a/dst"), "inc/compose.yml:5:9 /services/db/volumes/0 `/x:${DST}`"},
				{"target from the environment", volume(t, "db", "/from-env"), "inc/compose.yml:6:9 /services/db/volumes/1 `/y:${TOP}`"},
			},
		},
		{
			name: "the including file on top of the include, extends under a later file",
			files: map[string]string{
				"compose.yml":     "include:\n  - path: [inc/compose.yml, inc/over.yml]\nservices:\n  db:\n    user: \"0\"\n  app:\n    extends: base\n  base:\n    image: x\n    user: vscode\n    cap_add: [SYS_PTRACE]\n",
				"inc/compose.yml": "services:\n  db:\n    image: postgres\n    user: postgres\n    volumes: [./data:/data]\n",
				"inc/over.yml":    "services:\n  db:\n    volumes: [./other:/data]\n",
				"later.yml":       "services:\n  app:\n    cap_add: [NET_ADMIN]\n",
			},
			load: []string{"compose.yml", "later.yml"},
			model: func(t *testing.T, p *Project) {
				s := p.Model.Services["db"]
				if s.User != "0" || len(s.Volumes) != 1 || s.Volumes[0].Source != p.given[0].dir+"/inc/other" {
					t.Errorf("db: user %q volumes %+v", s.User, s.Volumes)
				}
			},
			queries: []query{
				{"user in the including file", field("db", "user"), "compose.yml:5:11 /services/db/user `\"0\"`"},
				{"include's override", volume(t, "db", "/data"), "inc/over.yml:3:15 /services/db/volumes/0 `./other:/data`"},
				{"image in the include", field("db", "image"), "inc/compose.yml:3:12 /services/db/image `postgres`"},
				{"user from the base", field("app", "user"), "compose.yml:10:11 /services/base/user `vscode`"},
				{"cap from the later file", func(p *Project) (source.Loc, bool) { return p.ListItem("app", "cap_add", "NET_ADMIN") }, "later.yml:3:15 /services/app/cap_add/0 `NET_ADMIN`"},
				{"cap from the base", func(p *Project) (source.Loc, bool) { return p.ListItem("app", "cap_add", "SYS_PTRACE") }, "compose.yml:11:15 /services/base/cap_add/0 `SYS_PTRACE`"},
			},
		},
		{
			name: ".env default, environment wins, $$",
			files: map[string]string{
				"compose.yml": "services:\n  app:\n    image: ${IMAGE:-fallback}\n    user: \"$$USER\"\n    volumes:\n      - ${SRC}:${DST}\n      - ${HOME}/x:/x\n      - /a$$b:/literal\n    labels:\n      a: ${EMPTY-x}\n      b: ${EMPTY:-y}\n      c: ${UNSET-z}\n",
				".env":        "SRC=/from-dotenv\nDST=/dst\nIMAGE=dotenv-image\nEMPTY=\n",
			},
			env:  map[string]string{"IMAGE": "env-image", "HOME": "/home/me"},
			load: []string{"compose.yml"},
			model: func(t *testing.T, p *Project) {
				s := p.Model.Services["app"]
				if s.Image != "env-image" || s.User != "$USER" {
					t.Errorf("image %q user %q", s.Image, s.User)
				}
				if l := s.Labels; l["a"] != "" || l["b"] != "y" || l["c"] != "z" {
					t.Errorf("labels %v: want a empty (set, empty), b y (:- on empty), c z (- on unset)", l)
				}
				want := map[string]string{"/dst": "/from-dotenv", "/x": "/home/me/x", "/literal": "/a$b"}
				for _, v := range s.Volumes {
					if want[v.Target] != v.Source {
						t.Errorf("volume %s: source %q, want %q", v.Target, v.Source, want[v.Target])
					}
				}
			},
			queries: []query{
				{"target from .env", volume(t, "app", "/dst"), "compose.yml:6:9 /services/app/volumes/0 `${SRC}:${DST}`"},
				{"$$ escape", volume(t, "app", "/literal"), "compose.yml:8:9 /services/app/volumes/2 `/a$$b:/literal`"},
				{"user", field("app", "user"), "compose.yml:4:11 /services/app/user `\"$$USER\"`"},
			},
		},
		{
			name: "CRLF, BOM, non-ASCII before a node on its line",
			files: map[string]string{
				"compose.yml": "\ufeff# comment\r\nservices:\r\n  app:\r\n    image: x\r\n    volumes: [\"/données:/a\", \"/b:/b\"]\r\n    environment: {NOM: \"Jürgen Größe\", USER2: y}\r\n    user: vscode\r\n",
			},
			load: []string{"compose.yml"},
			model: func(t *testing.T, p *Project) {
				if !p.Files[0].Src.BOM {
					t.Error("BOM not seen")
				}
			},
			queries: []query{
				{"second volume", volume(t, "app", "/b"), "compose.yml:5:31 /services/app/volumes/1 `\"/b:/b\"`"},
				{"env after umlauts", field("app", "environment", "USER2"), "compose.yml:6:50 /services/app/environment/USER2 `y`"},
				{"user", field("app", "user"), "compose.yml:7:11 /services/app/user `vscode`"},
			},
		},
		{
			name: "!reset, !override, aliases and merge keys",
			files: map[string]string{
				"compose.yml": "x-user: &user vscode\nx-common: &common\n  privileged: true\n  cap_add: [SYS_ADMIN]\nservices:\n  app:\n    <<: *common\n    image: x\n    user: *user\n    ports: [\"80:80\"]\n    security_opt:\n      - seccomp=unconfined\n      - label=disable\n    volumes: [\"/a:/a\"]\n",
				"over.yml":    "services:\n  app:\n    ports: !reset []\n    volumes: !override\n      - /b:/b\n    cap_add: [NET_ADMIN]\n",
			},
			load: []string{"compose.yml", "over.yml"},
			model: func(t *testing.T, p *Project) {
				s := p.Model.Services["app"]
				if len(s.Ports) != 0 || len(s.Volumes) != 1 || !s.Privileged || len(s.CapAdd) != 2 {
					t.Errorf("ports %v volumes %v privileged %v cap_add %v", s.Ports, s.Volumes, s.Privileged, s.CapAdd)
				}
			},
			queries: []query{
				{"reset ports", field("app", "ports"), "over.yml:2:3 /services/app `app` (fallback)"},
				{"overridden volume", volume(t, "app", "/b"), "over.yml:5:9 /services/app/volumes/0 `/b:/b`"},
				{"merge key", field("app", "privileged"), "compose.yml:3:15 /x-common/privileged `true`"},
				{"alias", field("app", "user"), "compose.yml:1:9 /x-user `&user vscode`"},
				{"cap from base", func(p *Project) (source.Loc, bool) { return p.ListItem("app", "cap_add", "SYS_ADMIN") }, "compose.yml:4:13 /x-common/cap_add/0 `SYS_ADMIN`"},
				{"cap from over", func(p *Project) (source.Loc, bool) { return p.ListItem("app", "cap_add", "NET_ADMIN") }, "over.yml:6:15 /services/app/cap_add/0 `NET_ADMIN`"},
				{"security_opt", func(p *Project) (source.Loc, bool) { return p.ListItem("app", "security_opt", "label=disable") }, "compose.yml:13:9 /services/app/security_opt/1 `label=disable`"},
			},
		},
		{
			name: "build, limits, ports in long syntax and ranges",
			files: map[string]string{
				"compose.yml": "services:\n  app:\n    build: ./app\n    mem_limit: 2g\n    cpus: 1.5\n    pids_limit: 100\n    ports:\n      - target: 3000\n        published: \"3001\"\n      - 9000-9001:9000-9001\n  db:\n    build:\n      context: db\n      dockerfile: Dockerfile.dev\n      target: dev\n      args:\n        - UID=1000\n        - GID\n    deploy:\n      resources:\n        limits: {memory: 1g, cpus: \"0.5\", pids: 50}\n    network_mode: host\n    userns_mode: keep-id\n",
			},
			load: []string{"compose.yml"},
			queries: []query{
				{"build short", field("app", "build", "context"), "compose.yml:3:12 /services/app/build `./app`"},
				{"mem_limit", field("app", "mem_limit"), "compose.yml:4:16 /services/app/mem_limit `2g`"},
				{"cpus", field("app", "cpus"), "compose.yml:5:11 /services/app/cpus `1.5`"},
				{"pids_limit", field("app", "pids_limit"), "compose.yml:6:17 /services/app/pids_limit `100`"},
				{"long port", port("app", types.ServicePortConfig{Target: 3000, Published: "3001", Protocol: "tcp"}), "compose.yml:8:9 /services/app/ports/0 `target: 3000…`"},
				{"port in range", port("app", types.ServicePortConfig{Target: 9001, Published: "9001", Protocol: "tcp"}), "compose.yml:10:9 /services/app/ports/1 `9000-9001:9000-9001`"},
				{"build context", field("db", "build", "context"), "compose.yml:13:16 /services/db/build/context `db`"},
				{"dockerfile", field("db", "build", "dockerfile"), "compose.yml:14:19 /services/db/build/dockerfile `Dockerfile.dev`"},
				{"target", field("db", "build", "target"), "compose.yml:15:15 /services/db/build/target `dev`"},
				{"arg", field("db", "build", "args", "GID"), "compose.yml:18:11 /services/db/build/args/1 `GID`"},
				{"limits", field("db", "deploy", "resources", "limits"), "compose.yml:21:17 /services/db/deploy/resources/limits `{memory: 1g, cpus: \"0.5\", pids: 50}`"},
				{"limit pids", field("db", "deploy", "resources", "limits", "pids"), "compose.yml:21:49 /services/db/deploy/resources/limits/pids `50`"},
				{"network_mode", field("db", "network_mode"), "compose.yml:22:19 /services/db/network_mode `host`"},
				{"userns_mode", field("db", "userns_mode"), "compose.yml:23:18 /services/db/userns_mode `keep-id`"},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, tc.files)
			p, err := load(t, dir, tc.env, tc.load...)
			if err != nil {
				t.Fatal(err)
			}
			if tc.model != nil {
				tc.model(t, p)
			}
			for _, q := range tc.queries {
				l, ok := q.at(p)
				if diff := cmp.Diff(q.want, where(dir, l, ok)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", q.name, diff)
				}
			}
		})
	}
}
