// Package static embeds Twelve's CSS, images and scripts and serves them
// under content-hashed names, so browsers may cache them for a year and a
// new release is never served a stale file.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"
)

//go:embed *.css *.js *.svg
var files embed.FS

// Asset is one embedded file under its hashed name.
type Asset struct {
	Name        string // hashed name, e.g. style.1a2b3c4d5e.css
	ContentType string
	Body        []byte
}

// Assets maps each file's plain name to its hashed form.
type Assets struct {
	byPlain  map[string]*Asset
	byHashed map[string]*Asset
}

// Load hashes every embedded file once.
func Load() (*Assets, error) {
	a := &Assets{byPlain: map[string]*Asset{}, byHashed: map[string]*Asset{}}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(p)
		asset := &Asset{
			Name:        strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:5]) + ext,
			ContentType: mime.TypeByExtension(ext),
			Body:        body,
		}
		a.byPlain[p] = asset
		a.byHashed[asset.Name] = asset
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static: %w", err)
	}
	return a, nil
}

// Path returns the URL path of the named file, e.g. /static/style.1a2b3c4d5e.css.
// It panics on a name that is not embedded: that is a programming error
// caught by any test that renders a page.
func (a *Assets) Path(name string) string {
	asset, ok := a.byPlain[name]
	if !ok {
		panic("static: no embedded file " + name)
	}
	return "/static/" + asset.Name
}

// Lookup finds an asset by its hashed name.
func (a *Assets) Lookup(hashed string) (*Asset, bool) {
	asset, ok := a.byHashed[hashed]
	return asset, ok
}
