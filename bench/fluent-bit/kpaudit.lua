-- The kpaudit transform written as a Fluent Bit Lua filter, as the
-- comparison point for the native plugin: the same tables (src/severity.rs,
-- src/route.rs, src/redact.rs), highest-of-action-and-status severity,
-- key-material members removed at any depth, the route written into the
-- record (as the plugin's route_field mode does).
--
--   [FILTER]
--       Name   lua
--       Match  *
--       script kpaudit.lua
--       call   kpaudit

local NAME = { [0] = "normal", [1] = "warning", [2] = "critical" }

local ACTIONS = {
    ["kms.secrets.delete"] = 2, ["kms.registrations.delete"] = 2,
    ["kms.secrets.rotate"] = 1, ["kms.secrets.restore"] = 1,
    ["kms.secrets.enable"] = 1, ["kms.secrets.disable"] = 1,
    ["kms.secrets.setkeyfordeletion"] = 1, ["kms.secrets.unsetkeyfordeletion"] = 1,
    ["kms.policies.write"] = 1, ["kms.instancepolicies.write"] = 1,
    ["kms.instance-policies.write"] = 1,
}
-- the other listed actions are normal, which is also the default

local STATUS = {
    [401] = 2, [403] = 2, [503] = 2, [507] = 2,
    [400] = 1, [409] = 1, [424] = 1, [502] = 1, [504] = 1, [505] = 1,
}

local REGIONS = {
    ["us-south"] = true, ["us-east"] = true, ["eu-gb"] = true, ["eu-de"] = true,
    ["au-syd"] = true, ["jp-tok"] = true, ["jp-osa"] = true, ["ca-tor"] = true,
    ["br-sao"] = true, ["eu-es"] = true, ["ca-mon"] = true, ["in-che"] = true,
    ["in-mum"] = true,
}

local KEY_MATERIAL = {
    payload = true, encryptednonce = true, iv = true, plaintext = true,
    ciphertext = true, aad = true, nonce = true, authorization = true,
}

local function strip(v)
    if type(v) ~= "table" then
        return
    end
    for k, child in pairs(v) do
        if type(k) == "string" and KEY_MATERIAL[string.lower(k)] then
            v[k] = nil
        else
            strip(child)
        end
    end
end

local function status_of(reason)
    if type(reason) ~= "table" then
        return nil
    end
    local code = reason.reasonCode
    if type(code) == "number" and code == math.floor(code) then
        return code
    end
    if type(code) == "string" and code:match("^%d+$") then
        return tonumber(code)
    end
    return nil
end

-- a zone (eu-de-1) routes as its region
local function region_of(location)
    if REGIONS[location] then
        return location
    end
    local region = location:match("^(.-)%-%d+$")
    if region and REGIONS[region] then
        return region
    end
    return nil
end

local function route_of(record)
    local crn = record.logSourceCRN
    if crn == nil then
        local target = record.target
        crn = type(target) == "table" and target.id or nil
    end
    if crn ~= nil then
        if type(crn) ~= "string" then
            return "unmatched"
        end
        if crn:sub(1, 4) ~= "crn:" then
            crn = "crn:" .. crn
        end
        local location = crn:match("^crn:[^:]*:[^:]*:[^:]*:[^:]*:([^:]*)")
        return location and region_of(location) or "unmatched"
    end
    local request = record.requestData
    local uri = type(request) == "table" and request.requestURI or nil
    if type(uri) == "string" then
        local host = uri:match("^%a+://([^/:]+)") or uri:match("^([^/:]+)")
        if host then
            local location = host:match("^private%.([^.]+)%.kms%.cloud%.ibm%.com$")
                or host:match("^([^.]+)%.kms%.cloud%.ibm%.com$")
            if location then
                return region_of(location) or "unmatched"
            end
        end
    end
    return "unmatched"
end

function kpaudit(tag, timestamp, record)
    local sev = ACTIONS[record.action] or 0
    local by_status = STATUS[status_of(record.reason) or 0]
    if by_status and by_status > sev then
        sev = by_status
    end
    strip(record)
    record.severity = NAME[sev]
    record.route = route_of(record)
    return 2, timestamp, record
end
