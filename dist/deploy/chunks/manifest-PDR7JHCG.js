import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{a,b,c,d}from"./chunk-FB3N2S4I.js";import"./chunk-HOIGDQXB.js";import"./chunk-SB55FMYH.js";import"./chunk-QVYXNAN3.js";import"./chunk-ORKPRCK3.js";export{b as checkManifestEntries,a as isKustomizeDir,d as loadManifests,c as parseManifestText};
