import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{a,b,c,d}from"./chunk-DERJ22JT.js";import"./chunk-4ORLO7YX.js";import"./chunk-PATETNWK.js";import"./chunk-5V6A2K7X.js";import"./chunk-QVYXNAN3.js";import"./chunk-XTUIZPUZ.js";export{b as checkManifestEntries,a as isKustomizeDir,d as loadManifests,c as parseManifestText};
