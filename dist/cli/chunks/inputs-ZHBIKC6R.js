import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{a,b}from"./chunk-Z2244HAK.js";import"./chunk-JHD5NR2J.js";import"./chunk-PATETNWK.js";import"./chunk-5V6A2K7X.js";import"./chunk-QVYXNAN3.js";import"./chunk-XTUIZPUZ.js";export{a as API_URL_VARIABLE,b as readSlackNotifyInputs};
